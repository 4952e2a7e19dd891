import { assemble, createUnitForUnit, type NormalisedText } from './normalise/assemble.js'
import {
  EVERY_FLAG,
  FLAGS,
  LazyWideTable,
  readFlags,
  readUnitFlags,
} from './normalise/char-flags.js'
import { foldLookAlikes } from './normalise/confusables.js'
import { foldDigits } from './normalise/digits.js'
import {
  JOINS_CLUSTERS,
  listSteps,
  type Pieces,
  type StepContext,
  type StepName,
  splitIntoPieces,
  stepBit,
  UNIT_JOINS,
  UNIT_MARKED,
} from './normalise/pieces.js'
import { maySimplify, simplifyChinese } from './normalise/simplify-chinese.js'
import { applyPieceSteps, mayChangeAlone } from './normalise/unicode-steps.js'
import type { NormalisedSpan } from './types.js'

export { NormalisedText } from './normalise/assemble.js'
export type { StepName } from './normalise/pieces.js'

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
  return runPipeline(original, false)
}

/**
 * `normaliseText` without any of its shortcuts: every step over every piece, whatever the text
 * holds. Slower, and by design giving the same result; the tests hold the two side by side.
 */
export function normaliseTextFully(original: string): NormalisedText {
  return runPipeline(original, true)
}

function runPipeline(original: string, everyStep: boolean): NormalisedText {
  const pieces = splitIntoPieces(original, everyStep ? undefined : UNITS)
  let flags = EVERY_FLAG | FLAGS.nfkc
  // Without clusters, the units' own classes told the flags of the NFKC form too.
  if (!everyStep && pieces.markedCount >= 0) flags = pieces.flags
  else if (!everyStep) {
    const nfkc = original.normalize('NFKC')
    flags = pieces.flags | (nfkc === original ? 0 : readFlags(nfkc) | FLAGS.nfkc)
  }
  const context = { original, flags }
  if (flags !== 0) for (const step of PIPELINE) step(pieces, context)
  return assemble(pieces)
}

/** The original span that a non-empty span of the normalised text came from. */
export function mapSpanToOriginal(normalised: NormalisedText, span: NormalisedSpan) {
  const length = normalised.text.length
  const start = span.start >= 0 && span.start < length ? normalised.startOf(span.start) : 0
  const last = span.end - 1
  return { start, end: last >= 0 && last < length ? normalised.endOf(last) : start }
}

/** The steps that changed some unit of a span of the normalised text: why a hit matched. */
export function listStepsForSpan(normalised: NormalisedText, span: NormalisedSpan): StepName[] {
  return listSteps(normalised.readChanges(span.start, span.end))
}

/**
 * Per BMP code unit, its class for splitIntoPieces (see UnitClasses). A unit is marked unless
 * no step changes it whatever surrounds it: no flag, no change under NFKC, the other per-piece
 * steps or OpenCC. Most chat (simplified Chinese, small Latin letters, digits, ASCII
 * punctuation, emoji) is made of unmarked units, which the steps pass over.
 */
const UNITS = new LazyWideTable(classifyUnit)

function classifyUnit(char: string): number {
  const code = char.charCodeAt(0)
  if (code >= 0xd800 && code <= 0xdfff) return EVERY_FLAG | FLAGS.nfkc | UNIT_MARKED
  let unit = readUnitFlags(code)
  const nfkc = char.normalize('NFKC')
  if (nfkc !== char) unit |= FLAGS.nfkc | readFlags(nfkc)
  if (unit !== 0 || mayChangeAlone(char) || maySimplify(code)) unit |= UNIT_MARKED
  return JOINS_CLUSTERS.test(char) ? unit | UNIT_JOINS : unit
}

// Pure ASCII (most English chat) can only change case: skip the pieces altogether.
function foldAscii(original: string): NormalisedText {
  const text = original.toLowerCase()
  const changes = new Int32Array(text.length)
  if (text === original) return createUnitForUnit(original, text, changes)
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== original.charCodeAt(i)) changes[i] = FOLD_CASE
  }
  return createUnitForUnit(original, text, changes)
}
