import type { NormalisedSpan } from './types.js'

/** Text as the matchers see it, with the way back to the original. */
export interface NormalisedText {
  /** NFKC, then lower-cased. */
  text: string
  /** For each UTF-16 unit of `text`, the original span it came from: [starts[i], ends[i]). */
  starts: number[]
  ends: number[]
}

// Grapheme clusters keep a base character with its combining marks (and Hangul jamo with each
// other), so normalising cluster by cluster composes what NFKC would compose on the whole text
// while every output unit still knows which original cluster produced it.
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * The one normalisation, applied alike to message text and to the policy's keywords:
 * full-width letters become ASCII, ligatures split ('ﬁ' → 'fi'), case is folded.
 */
export function normaliseText(original: string): NormalisedText {
  const parts: string[] = []
  const starts: number[] = []
  const ends: number[] = []

  for (const { segment, index } of graphemes.segment(original)) {
    // Lower-casing per cluster keeps Greek sigma from depending on its neighbours.
    const folded = segment.normalize('NFKC').toLowerCase()
    const end = index + segment.length
    for (let i = 0; i < folded.length; i++) {
      starts.push(index)
      ends.push(end)
    }
    parts.push(folded)
  }

  return { text: parts.join(''), starts, ends }
}

/** The original span that a non-empty span of the normalised text came from. */
export function mapSpanToOriginal(normalised: NormalisedText, span: NormalisedSpan) {
  const start = normalised.starts[span.start] ?? 0
  const end = normalised.ends[span.end - 1] ?? start
  return { start, end }
}
