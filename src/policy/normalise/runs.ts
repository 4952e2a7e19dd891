import { LazyTable } from './char-flags.js'
import { type Pieces, readMemoised, readSimpleCode } from './pieces.js'

/**
 * What each piece is to one step, as a number (-1 for an emptied piece, by the steps'
 * convention). Pieces that are still one BMP character go through a table, filled as they are
 * met; astral characters are remembered once read, since their text alone decides.
 */
export class PieceKinds {
  private readonly table: LazyTable
  /**
   * What `classifyText` makes of a changed piece that is now one BMP character (NFKC's ','
   * for '，', a simplified character): such pieces recur in every message, and a table look-up
   * costs less than reading the text. Kept apart from `table`, since a step may treat a
   * character it produced unlike the same character as written.
   */
  private readonly rewritten: LazyTable
  private readonly astral = new Map<number, number>()

  constructor(
    classifyChar: (char: string) => number,
    private readonly classifyText: (part: string) => number,
  ) {
    this.table = new LazyTable(classifyChar)
    this.rewritten = new LazyTable(classifyText)
  }

  read(pieces: Pieces, index: number): number {
    const code = readSimpleCode(pieces, index)
    if (code >= 0) return this.table.read(code)
    const part = pieces.parts[index]
    if (part !== undefined && part.length === 1) {
      const unit = part.charCodeAt(0)
      if (unit < 0xd800 || unit > 0xdfff) return this.rewritten.read(unit)
    }
    return readMemoised(this.astral, pieces, index, this.classifyText)
  }
}

/** Whatever tells a step what each piece is to it (a PieceKinds, or one wrapping it). */
export interface PieceKindReader {
  read(pieces: Pieces, index: number): number
}

/** Acts on pieces [first, end), whose kinds together are `kinds`; true if it changed any. */
export type RunAction = (pieces: Pieces, first: number, end: number, kinds: number) => boolean

/**
 * Hands `act` every longest run of pieces whose kind shares a bit with `member`. Emptied
 * pieces neither join nor break a run, so a character removed by an earlier step cannot split
 * one. When the pieces know which of them are marked, only runs holding a marked piece are
 * handed over: `act` must leave a run of unmarked pieces as it is. True if any action changed
 * a piece.
 */
export function actOnRuns(
  pieces: Pieces,
  kinds: PieceKindReader,
  member: number,
  act: RunAction,
): boolean {
  if (pieces.markedCount >= 0) return actOnMarkedRuns(pieces, kinds, member, act)
  let changed = false
  let first = -1
  let union = 0
  for (let i = 0; i <= pieces.count; i++) {
    const kind = i < pieces.count ? kinds.read(pieces, i) : 0
    if (kind < 0) continue
    if ((kind & member) !== 0) {
      if (first < 0) first = i
      union |= kind
      continue
    }
    if (first >= 0 && act(pieces, first, i, union)) changed = true
    first = -1
    union = 0
  }
  return changed
}

/** actOnRuns for the runs around marked pieces: the same runs, found from the inside. */
function actOnMarkedRuns(
  pieces: Pieces,
  kinds: PieceKindReader,
  member: number,
  act: RunAction,
): boolean {
  let changed = false
  let done = 0
  for (let m = 0; m < pieces.markedCount; m++) {
    const seed = pieces.marked[m] as number
    if (seed < done) continue
    let union = kinds.read(pieces, seed)
    if (union < 0 || (union & member) === 0) continue
    let first = seed
    for (let i = seed - 1; i >= 0; i--) {
      const kind = kinds.read(pieces, i)
      if (kind < 0) continue
      if ((kind & member) === 0) break
      first = i
      union |= kind
    }
    let end = seed + 1
    for (; end < pieces.count; end++) {
      const kind = kinds.read(pieces, end)
      if (kind < 0) continue
      if ((kind & member) === 0) break
      union |= kind
    }
    if (act(pieces, first, end, union)) changed = true
    done = end
  }
  return changed
}
