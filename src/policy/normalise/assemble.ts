import { listSteps, type Pieces, type StepName } from './pieces.js'

/** The per-unit offset map of a normalised text (see NormalisedText). */
interface UnitArrays {
  starts: Int32Array
  ends: Int32Array
  changes: Int32Array
}

/** Fields of one changed piece in `Edits.fields`: its span in the text, in the original, bits. */
const TEXT_START = 0
const TEXT_END = 1
const ORIGINAL_START = 2
const ORIGINAL_END = 3
const CHANGE = 4
const FIELDS = 5

/**
 * Text as the matchers see it, with the way back to the original. Where the pieces were one
 * code point each, only the changed pieces are kept: between two of them the text is the
 * original's, unit for unit, each unit mapped to its code point. A message changes a few
 * characters, so this costs a few numbers per change instead of three per unit; the per-unit
 * arrays are made when first read.
 */
export class NormalisedText {
  /** For each UTF-16 unit of `text`, a bit per step that changed it, and its original span. */
  private arrays: UnitArrays | null

  constructor(
    /** The original after every step of `normaliseText`. */
    readonly text: string,
    /** The steps that changed anything, in pipeline order. */
    readonly steps: StepName[],
    private readonly original: string,
    /** FIELDS numbers per changed piece, in text order; null when `arrays` is given. */
    private readonly edits: number[] | null,
    arrays: UnitArrays | null,
  ) {
    this.arrays = arrays
  }

  /** For each UTF-16 unit of `text`, the original span it came from: [starts[i], ends[i]). */
  get starts(): Int32Array {
    return this.readArrays().starts
  }

  get ends(): Int32Array {
    return this.readArrays().ends
  }

  /** For each UTF-16 unit of `text`, a bit per step that changed it. */
  get changes(): Int32Array {
    return this.readArrays().changes
  }

  /** Where unit `unit` of the text starts in the original. */
  startOf(unit: number): number {
    if (this.arrays !== null) return this.arrays.starts[unit] ?? 0
    const edit = this.findEdit(unit)
    const at = this.readOriginalUnit(edit, unit)
    if (at < 0) return this.readEdit(edit, ORIGINAL_START)
    return isLowAfterHigh(this.original, at) ? at - 1 : at
  }

  /** Where unit `unit` of the text ends in the original. */
  endOf(unit: number): number {
    if (this.arrays !== null) return this.arrays.ends[unit] ?? 0
    const edit = this.findEdit(unit)
    const at = this.readOriginalUnit(edit, unit)
    if (at < 0) return this.readEdit(edit, ORIGINAL_END)
    return isLowAfterHigh(this.original, at + 1) ? at + 2 : at + 1
  }

  /** The union of the change bits of units [start, end). */
  readChanges(start: number, end: number): number {
    let mask = 0
    if (this.arrays !== null) {
      for (let i = start; i < end; i++) mask |= this.arrays.changes[i] ?? 0
      return mask
    }
    const edits = this.edits as number[]
    for (let at = 0; at < edits.length; at += FIELDS) {
      const from = edits[at + TEXT_START] as number
      const to = edits[at + TEXT_END] as number
      if (from < end && to > start) mask |= edits[at + CHANGE] as number
    }
    return mask
  }

  /** The last edit starting at or before `unit`, as an index into `edits`, or -1. */
  private findEdit(unit: number): number {
    const edits = this.edits as number[]
    let low = 0
    let high = edits.length / FIELDS - 1
    let found = -1
    while (low <= high) {
      const middle = (low + high) >> 1
      if ((edits[middle * FIELDS + TEXT_START] as number) <= unit) {
        found = middle
        low = middle + 1
      } else {
        high = middle - 1
      }
    }
    return found * FIELDS
  }

  private readEdit(edit: number, field: number): number {
    return (this.edits as number[])[edit + field] as number
  }

  /** The original unit that unchanged unit `unit` is, or -1 if edit `edit` holds it. */
  private readOriginalUnit(edit: number, unit: number): number {
    if (edit < 0) return unit
    const textEnd = this.readEdit(edit, TEXT_END)
    if (unit < textEnd) return -1
    return this.readEdit(edit, ORIGINAL_END) + unit - textEnd
  }

  private readArrays(): UnitArrays {
    if (this.arrays !== null) return this.arrays
    const length = this.text.length
    const arrays = {
      starts: new Int32Array(length),
      ends: new Int32Array(length),
      changes: new Int32Array(length),
    }
    for (let unit = 0; unit < length; unit++) {
      arrays.starts[unit] = this.startOf(unit)
      arrays.ends[unit] = this.endOf(unit)
      arrays.changes[unit] = this.readChanges(unit, unit + 1)
    }
    this.arrays = arrays
    return arrays
  }
}

function isLowAfterHigh(text: string, at: number): boolean {
  // Reading outside the text gives NaN, which is no surrogate, but costs optimised code.
  if (at <= 0 || at >= text.length) return false
  const low = text.charCodeAt(at)
  const high = text.charCodeAt(at - 1)
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff
}

/**
 * The text the pieces spell, with its offset map. A removed piece (an invisible character)
 * hands its steps to the next piece, so a hit that spans '赌\u200B博' still says that removing
 * an invisible character mattered. Unchanged pieces side by side are copied as one slice.
 */
export function assemble(pieces: Pieces): NormalisedText {
  if (pieces.markedCount < 0) return assembleEveryPiece(pieces)
  const { original, marked, markedCount, parts, changes } = pieces
  const writer = new EditWriter(pieces)
  let pending = 0
  let pendingAt = -1
  for (let m = 0; m < markedCount; m++) {
    const index = marked[m] as number
    const part = parts[index]
    if (part === undefined) continue
    if (pending !== 0 && pendingAt < index) {
      writer.add(pendingAt, readOriginalPiece(pieces, pendingAt), pending)
      pending = 0
    }
    const change = (changes[index] as number) | (pendingAt === index ? pending : 0)
    writer.add(index, part, change)
    pending = part === '' ? change : 0
    pendingAt = index + 1
  }
  if (pending !== 0 && pendingAt < pieces.count) {
    writer.add(pendingAt, readOriginalPiece(pieces, pendingAt), pending)
  }
  const { edits, segments, copyFrom, mask } = writer
  if (edits.length === 0) return new NormalisedText(original, [], original, edits, null)
  // Joined rather than concatenated, so that the matchers get one flat string.
  segments.push(original.slice(copyFrom))
  return new NormalisedText(segments.join(''), listSteps(mask), original, edits, null)
}

function readOriginalPiece(pieces: Pieces, index: number): string {
  return pieces.original.slice(pieces.starts[index], pieces.ends[index])
}

/** Collects the edits and the text between them, piece by changed piece. */
class EditWriter {
  readonly edits: number[] = []
  readonly segments: string[] = []
  copyFrom = 0
  mask = 0
  private at = 0

  constructor(private readonly pieces: Pieces) {}

  add(index: number, part: string, change: number): void {
    const start = this.pieces.starts[index] as number
    this.segments.push(this.pieces.original.slice(this.copyFrom, start), part)
    this.at += start - this.copyFrom
    this.copyFrom = this.pieces.ends[index] as number
    this.edits.push(this.at, this.at + part.length, start, this.copyFrom, change)
    this.at += part.length
    this.mask |= change
  }
}

/** assemble, for pieces of any length: the per-unit arrays are made at once. */
function assembleEveryPiece(pieces: Pieces): NormalisedText {
  const { original, count, starts: pieceStarts, ends: pieceEnds, parts } = pieces
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

  const starts = new Int32Array(text.length)
  const ends = new Int32Array(text.length)
  const changes = new Int32Array(text.length)
  let mask = 0
  let pending = 0
  let at = 0
  for (let i = 0; i < count; i++) {
    const start = pieceStarts[i] ?? 0
    const end = pieceEnds[i] ?? 0
    const part = parts[i]
    const length = part === undefined ? end - start : part.length
    const change = (pieces.changes[i] ?? 0) | pending
    mask |= change
    pending = length === 0 ? change : 0
    for (const stop = at + length; at < stop; at++) {
      starts[at] = start
      ends[at] = end
      changes[at] = change
    }
  }
  const arrays = { starts, ends, changes }
  return new NormalisedText(text, listSteps(mask), original, null, arrays)
}

/** The result for text whose every unit maps to itself, with the change bits given. */
export function createUnitForUnit(original: string, text: string, changes: Int32Array) {
  const starts = new Int32Array(text.length)
  const ends = new Int32Array(text.length)
  let mask = 0
  for (let i = 0; i < text.length; i++) {
    starts[i] = i
    ends[i] = i + 1
    mask |= changes[i] as number
  }
  return new NormalisedText(text, listSteps(mask), original, null, { starts, ends, changes })
}
