import type { NormalisedSpan } from './types.js'

/** Text as the matchers see it, with the way back to the original. */
export interface NormalisedText {
  /** NFKC, then lower-cased. */
  text: string
  /** For each UTF-16 unit of `text`, the original span it came from: [starts[i], ends[i]). */
  starts: number[]
  ends: number[]
}

// NFKC only composes a character with the combining marks that follow it (and Hangul jamo
// with each other), so normalising such clusters one at a time gives, in practice, the text
// NFKC gives for the whole, while every output unit still knows which original cluster it came
// from. Intl.Segmenter would find the clusters too but is quadratic on long text in Node 20.
const CLUSTER =
  /[\u1100-\u115f]+[\u1160-\u11a7]*[\u11a8-\u11ff]*|[\uac00-\ud7a3][\u11a8-\u11ff]?|[\s\S]\p{M}*/gu

/**
 * The one normalisation, applied alike to message text and to the policy's keywords:
 * full-width letters become ASCII, ligatures split ('ﬁ' → 'fi'), case is folded.
 */
export function normaliseText(original: string): NormalisedText {
  const parts: string[] = []
  const starts: number[] = []
  const ends: number[] = []

  for (const match of original.matchAll(CLUSTER)) {
    const segment = match[0]
    const index = match.index
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
