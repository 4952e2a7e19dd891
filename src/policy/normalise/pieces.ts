/**
 * The text being normalised, as pieces of output that each remember the original span they
 * came from. Steps rewrite pieces in place and never split or merge them, so the offset map
 * survives every step unchanged; a piece emptied by a step simply contributes no output.
 */
export interface Pieces {
  parts: string[]
  starts: number[]
  ends: number[]
  /** Per piece, a bit for every step that changed it (see STEP_NAMES). */
  changes: number[]
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
  /** NFKC of the whole original. */
  nfkc: string
  /** The char-flags of the original and of its NFKC form: which steps could change anything. */
  flags: number
}

// NFKC only composes a character with the combining marks that follow it (and Hangul jamo
// with each other), so normalising such clusters one at a time gives, in practice, the text
// NFKC gives for the whole, while every output unit still knows which original cluster it came
// from. Intl.Segmenter would find the clusters too but is quadratic on long text in Node 20.
const CLUSTER =
  /[\u1100-\u115f]+[\u1160-\u11a7]*[\u11a8-\u11ff]*|[\uac00-\ud7a3][\u11a8-\u11ff]?|[\s\S]\p{M}*/gu
const JOINS_CLUSTERS = /[\p{M}\u1100-\u11ff]/u

/** Cuts the original into clusters, each its own piece, not yet changed in any way. */
export function splitIntoPieces(original: string): Pieces {
  const pieces: Pieces = { parts: [], starts: [], ends: [], changes: [] }
  if (JOINS_CLUSTERS.test(original)) {
    for (const match of original.matchAll(CLUSTER)) {
      addPiece(pieces, match[0], match.index)
    }
    return pieces
  }

  // Without marks or jamo every code point is a cluster of its own: skip the regex.
  for (let at = 0; at < original.length; ) {
    const size = (original.codePointAt(at) ?? 0) > 0xffff ? 2 : 1
    addPiece(pieces, size === 1 ? original.charAt(at) : original.slice(at, at + size), at)
    at += size
  }
  return pieces
}

function addPiece(pieces: Pieces, part: string, start: number) {
  pieces.parts.push(part)
  pieces.starts.push(start)
  pieces.ends.push(start + part.length)
  pieces.changes.push(0)
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
  if (pieces.parts[index] === part) return false
  pieces.parts[index] = part
  pieces.changes[index] = (pieces.changes[index] ?? 0) | stepBit(step)
  return true
}

/** Rewrites every piece through `fold`; true if any piece changed. */
export function mapPieces(pieces: Pieces, step: StepName, fold: (part: string) => string) {
  let changed = false
  for (let i = 0; i < pieces.parts.length; i++) {
    const part = pieces.parts[i] ?? ''
    if (part !== '' && rewritePiece(pieces, i, fold(part), step)) changed = true
  }
  return changed
}

export function stepBit(step: StepName): number {
  return 1 << STEP_NAMES.indexOf(step)
}

/** The names of the steps whose bits are set in `mask`, in pipeline order. */
export function listSteps(mask: number): StepName[] {
  return STEP_NAMES.filter((step) => (mask & stepBit(step)) !== 0)
}

/**
 * Groups the non-empty pieces into maximal runs of pieces that `belongs` accepts, and hands
 * each run (piece indices, in order) to `visit`. Emptied pieces neither join nor break a run,
 * so a zero-width character removed earlier cannot split a word or a number.
 */
export function forEachRun(
  pieces: Pieces,
  belongs: (part: string) => boolean,
  visit: (run: number[]) => void,
) {
  let run: number[] = []
  for (let i = 0; i < pieces.parts.length; i++) {
    const part = pieces.parts[i] ?? ''
    if (part === '') continue
    if (belongs(part)) {
      run.push(i)
      continue
    }
    if (run.length > 0) visit(run)
    run = []
  }
  if (run.length > 0) visit(run)
}
