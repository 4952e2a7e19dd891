import { FLAGS, LazyTable, readCodePointFlags, readFlags, readUnitFlags } from './char-flags.js'

/**
 * The text being normalised, as pieces of output that each remember the original span they
 * came from. Steps rewrite pieces in place and never split or merge them, so the offset map
 * survives every step unchanged; a piece emptied by a step simply contributes no output.
 * The pieces tile the original, and a piece no step has touched keeps no text of its own:
 * most of a message never changes, and a string per character would cost more than the steps.
 */
export interface Pieces {
  original: string
  count: number
  /** The char-flags of the original, read while cutting it. */
  flags: number
  /** Piece i is the original's [starts[i], ends[i]) before any step. */
  starts: Int32Array
  ends: Int32Array
  /** A piece's text once a step has changed it; undefined while it is still the original's. */
  parts: (string | undefined)[]
  /** Per piece, a bit for every step that changed it (see STEP_NAMES). */
  changes: Int32Array
  /**
   * The pieces [marked[0], marked[markedCount]) that some step might change, in order; every
   * other piece stays as it is. -1 when not known: each step then reads every piece.
   */
  marked: Int32Array
  markedCount: number
}

export const STEP_NAMES = [
  'nfkc',
  'ignorable',
  'fold-case',
  'marks',
  'confusable',
  't2s',
  'digits',
] as const

export type StepName = (typeof STEP_NAMES)[number]

/** What every step may consult besides the pieces. */
export interface StepContext {
  original: string
  /**
   * The char-flags of the original and of its NFKC form, and FLAGS.nfkc if the two differ:
   * which steps could change anything.
   */
  flags: number
}

// NFKC only composes a character with the combining marks that follow it (and Hangul jamo
// with each other), so normalising such clusters one at a time gives, in practice, the text
// NFKC gives for the whole, while every output unit still knows which original cluster it came
// from. Intl.Segmenter would find the clusters too but is quadratic on long text in Node 20.
const CLUSTER =
  /[\u1100-\u115f]+[\u1160-\u11a7]*[\u11a8-\u11ff]*|[\uac00-\ud7a3][\u11a8-\u11ff]?|[\s\S]\p{M}*/gu
export const JOINS_CLUSTERS = /[\p{M}\u1100-\u11ff]/u
const JOINS = new LazyTable((char) => (JOINS_CLUSTERS.test(char) ? 1 : 0))

// One set of buffers serves every call (normalising never re-enters itself), grown as needed.
const scratch = createPieces(256)

/**
 * What one BMP code unit is to the normaliser, as bits: its char-flags together with those of
 * its NFKC form, FLAGS.nfkc if NFKC changes it, UNIT_MARKED unless no step can change it
 * whatever surrounds it, and UNIT_JOINS if it may join a cluster.
 */
export interface UnitClasses {
  read(code: number): number
}

export const UNIT_FLAGS = 0x7f
export const UNIT_MARKED = 0x80
export const UNIT_JOINS = 0x100

/**
 * Cuts the original into clusters, each its own piece, not yet changed in any way. With
 * `units`, a text without clusters also gets the list of its marked pieces, and its flags
 * include those of its NFKC form; without, or for a text with clusters, `markedCount` is -1.
 */
export function splitIntoPieces(original: string, units?: UnitClasses): Pieces {
  const pieces = prepareScratch(original)
  const { starts, ends, marked } = pieces
  let count = 0
  let flags = 0
  let markedCount = 0
  // Without marks or jamo every code point is a cluster of its own: try that first.
  for (let at = 0; at < original.length; count++) {
    const code = original.charCodeAt(at)
    starts[count] = at
    if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(original.charCodeAt(at + 1))) {
      const astral = readCodePointFlags(original.codePointAt(at) as number)
      // Plain emoji have no flags, never join a cluster and are inert; any other astral
      // character is looked at.
      if (astral !== 0) {
        if (JOINS_CLUSTERS.test(original.slice(at, at + 2))) return splitIntoClusters(pieces)
        flags |= astral | FLAGS.nfkc
        marked[markedCount++] = count
      }
      at += 2
    } else if (units === undefined) {
      if (JOINS.read(code) === 1) return splitIntoClusters(pieces)
      flags |= readUnitFlags(code)
      at++
    } else {
      const unit = units.read(code)
      if ((unit & UNIT_JOINS) !== 0) return splitIntoClusters(pieces)
      flags |= unit & UNIT_FLAGS
      if ((unit & UNIT_MARKED) !== 0) marked[markedCount++] = count
      at++
    }
    ends[count] = at
  }
  pieces.count = count
  pieces.flags = flags
  pieces.markedCount = units === undefined ? -1 : markedCount
  return pieces
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

function splitIntoClusters(pieces: Pieces): Pieces {
  let count = 0
  for (const match of pieces.original.matchAll(CLUSTER)) {
    pieces.starts[count] = match.index
    pieces.ends[count++] = match.index + match[0].length
  }
  pieces.count = count
  pieces.flags = readFlags(pieces.original)
  pieces.markedCount = -1
  return pieces
}

/** Longer texts get buffers of their own, so that one huge message does not pin its memory. */
const MAX_SHARED = 1 << 16

function prepareScratch(original: string): Pieces {
  const size = original.length + 1
  const pieces = size > MAX_SHARED ? createPieces(size) : scratch
  if (pieces.starts.length < size) {
    const capacity = Math.min(Math.max(size, pieces.starts.length * 2), MAX_SHARED)
    pieces.starts = new Int32Array(capacity)
    pieces.ends = new Int32Array(capacity)
    pieces.changes = new Int32Array(capacity)
    pieces.marked = new Int32Array(capacity)
  }
  pieces.original = original
  pieces.changes.fill(0, 0, size)
  if (pieces.parts.length < size) pieces.parts.length = size
  pieces.parts.fill(undefined, 0, size)
  return pieces
}

function createPieces(capacity: number): Pieces {
  return {
    original: '',
    count: 0,
    flags: 0,
    starts: new Int32Array(capacity),
    ends: new Int32Array(capacity),
    parts: [],
    changes: new Int32Array(capacity),
    marked: new Int32Array(capacity),
    markedCount: -1,
  }
}

/** The current text of piece `index`. */
export function readPart(pieces: Pieces, index: number): string {
  return (
    pieces.parts[index] ?? pieces.original.slice(pieces.starts[index] ?? 0, pieces.ends[index] ?? 0)
  )
}

/**
 * The code unit of a piece that is still one original BMP character, which the steps look up
 * in their tables; -1 for any other piece (changed, a cluster, a surrogate), which they read
 * as text.
 */
export function readSimpleCode(pieces: Pieces, index: number): number {
  if (pieces.parts[index] !== undefined) return -1
  const start = pieces.starts[index] ?? 0
  if ((pieces.ends[index] ?? 0) - start !== 1) return -1
  const code = pieces.original.charCodeAt(start)
  return code >= 0xd800 && code <= 0xdfff ? -1 : code
}

/** The code point of a piece that is still one original character beyond the BMP, else -1. */
export function readAstralCode(pieces: Pieces, index: number): number {
  if (pieces.parts[index] !== undefined) return -1
  const start = pieces.starts[index] ?? 0
  if ((pieces.ends[index] ?? 0) - start !== 2) return -1
  const code = pieces.original.codePointAt(start) ?? 0
  return code > 0xffff ? code : -1
}

const MAX_MEMOISED = 4096

/**
 * What `read` makes of piece `index`, remembered per astral character (emoji recur in every
 * other message, and their text alone decides), or read afresh for any other piece.
 */
export function readMemoised(
  memo: Map<number, number>,
  pieces: Pieces,
  index: number,
  read: (part: string) => number,
): number {
  const code = readAstralCode(pieces, index)
  if (code < 0) return read(readPart(pieces, index))
  let value = memo.get(code)
  if (value === undefined) {
    value = read(readPart(pieces, index))
    if (memo.size < MAX_MEMOISED) memo.set(code, value)
  }
  return value
}

/**
 * True for one ASCII character, or one CJK ideograph or Hangul syllable outside the
 * compatibility blocks: NFKC and mark stripping leave these alone, so those steps skip them.
 */
export function isStablePiece(part: string): boolean {
  if (part.length !== 1) return false
  const code = part.charCodeAt(0)
  return code < 0x80 || (code >= 0x3400 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7a3)
}

/** Gives piece `index` a new text, noting the step if that text differs; true if it did. */
export function rewritePiece(pieces: Pieces, index: number, part: string, step: StepName) {
  if (readPart(pieces, index) === part) return false
  pieces.parts[index] = part
  pieces.changes[index] = (pieces.changes[index] ?? 0) | stepBit(step)
  return true
}

export function stepBit(step: StepName): number {
  return STEP_BITS[step]
}

// Looked up on every rewrite: a search through the names would cost more than the rewrite.
const STEP_BITS = Object.fromEntries(STEP_NAMES.map((step, bit) => [step, 1 << bit])) as Record<
  StepName,
  number
>

const STEP_LISTS = Array.from({ length: 1 << STEP_NAMES.length }, (_, mask) =>
  STEP_NAMES.filter((_step, bit) => (mask & (1 << bit)) !== 0),
)

/** The names of the steps whose bits are set in `mask`, in pipeline order. */
export function listSteps(mask: number): StepName[] {
  return STEP_LISTS[mask]?.slice() ?? []
}
