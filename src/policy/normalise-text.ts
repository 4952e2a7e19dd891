import { readFlags } from './normalise/char-flags.js'
import { foldLookAlikes } from './normalise/confusables.js'
import { foldDigits } from './normalise/digits.js'
import {
  listSteps,
  type Pieces,
  type StepContext,
  type StepName,
  splitIntoPieces,
  stepBit,
} from './normalise/pieces.js'
import { simplifyChinese } from './normalise/simplify-chinese.js'
import { applyPieceSteps } from './normalise/unicode-steps.js'
import type { NormalisedSpan } from './types.js'

export type { StepName } from './normalise/pieces.js'

/** Text as the matchers see it, with the way back to the original. */
export interface NormalisedText {
  /** The original after every step of `normaliseText`. */
  text: string
  /** For each UTF-16 unit of `text`, the original span it came from: [starts[i], ends[i]). */
  starts: number[]
  ends: number[]
  /** The steps that changed anything, in pipeline order. */
  steps: StepName[]
  /** For each UTF-16 unit of `text`, a bit per step that changed it (see `listStepsForSpan`). */
  changes: number[]
}

const ASCII = /^[\u0000-\u007f]*$/
const FOLD_CASE = stepBit('fold-case')

/**
 * The steps, in the order issue #3 sets; each rewrites pieces and never splits them. The first
 * four look at one piece at a time and run together, piece by piece.
 */
const PIPELINE: ReadonlyArray<(pieces: Pieces, context: StepContext) => unknown> = [
  applyPieceSteps,
  foldLookAlikes,
  simplifyChinese,
  foldDigits,
]

/**
 * The one normalisation, applied alike to message text and to the policy's keywords, in this
 * order: NFKC ('ＶＸ' → 'VX'); invisible characters removed; case folded ('ß' → 'ss',
 * 'İ' → 'i'); combining marks on Latin letters removed ('ca\u0301sino' → 'casino');
 * look-alike letters inside Latin words folded ('саsino' → 'casino'); traditional and
 * variant Chinese simplified ('轉帳' → '转账'); digit forms folded to ASCII inside numbers
 * ('幺三八零零' → '13800', while '一起' stays). Linear in the length of the text; never throws.
 */
export function normaliseText(original: string): NormalisedText {
  if (ASCII.test(original)) return foldAscii(original)

  const pieces = splitIntoPieces(original)
  const nfkc = original.normalize('NFKC')
  const flags = pieces.flags | (nfkc === original ? 0 : readFlags(nfkc))
  const context = { original, nfkc, flags }
  for (const step of PIPELINE) step(pieces, context)
  return assemble(pieces)
}

/** The original span that a non-empty span of the normalised text came from. */
export function mapSpanToOriginal(normalised: NormalisedText, span: NormalisedSpan) {
  const start = normalised.starts[span.start] ?? 0
  const end = normalised.ends[span.end - 1] ?? start
  return { start, end }
}

/** The steps that changed some unit of a span of the normalised text: why a hit matched. */
export function listStepsForSpan(normalised: NormalisedText, span: NormalisedSpan): StepName[] {
  let mask = 0
  for (let i = span.start; i < span.end; i++) mask |= normalised.changes[i] ?? 0
  return listSteps(mask)
}

// Pure ASCII (most English chat) can only change case: skip the pieces altogether.
function foldAscii(original: string): NormalisedText {
  const text = original.toLowerCase()
  const starts = new Array<number>(text.length)
  const ends = new Array<number>(text.length)
  const changes = new Array<number>(text.length)
  for (let i = 0; i < text.length; i++) {
    starts[i] = i
    ends[i] = i + 1
    changes[i] = text[i] === original[i] ? 0 : FOLD_CASE
  }
  return { text, starts, ends, steps: listSteps(text === original ? 0 : FOLD_CASE), changes }
}

// A removed piece (an invisible character) hands its steps to the next unit, so a hit that
// spans '赌\u200B博' still says that removing an invisible character mattered. Unchanged pieces
// side by side are copied from the original as one slice.
function assemble(pieces: Pieces): NormalisedText {
  const {
    original,
    count,
    starts: pieceStarts,
    ends: pieceEnds,
    parts,
    changes: pieceChanges,
  } = pieces
  // Joined rather than concatenated, so that the matchers get one flat string, as before.
  const segments: string[] = []
  let copyFrom = 0
  for (let i = 0; i < count; i++) {
    const part = parts[i]
    if (part === undefined) continue
    segments.push(original.slice(copyFrom, pieceStarts[i]), part)
    copyFrom = pieceEnds[i] ?? 0
  }
  segments.push(original.slice(copyFrom))
  const text = segments.length === 1 ? original : segments.join('')

  const starts = new Array<number>(text.length)
  const ends = new Array<number>(text.length)
  const changes = new Array<number>(text.length)
  let mask = 0
  let pending = 0
  let at = 0
  for (let i = 0; i < count; i++) {
    const start = pieceStarts[i] ?? 0
    const end = pieceEnds[i] ?? 0
    const part = parts[i]
    const length = part === undefined ? end - start : part.length
    const change = (pieceChanges[i] ?? 0) | pending
    mask |= change
    pending = length === 0 ? change : 0
    for (const stop = at + length; at < stop; at++) {
      starts[at] = start
      ends[at] = end
      changes[at] = change
    }
  }

  return { text, starts, ends, steps: listSteps(mask), changes }
}
