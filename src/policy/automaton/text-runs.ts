import { classifyCodePoint, DIGIT, FREE, SKIP, UNSPACED } from './char-class.js'

/** How a text is read before matching. */
export interface ReadMode {
  /** Leave separators, punctuation and emoji out of the stream, counting them as gaps. */
  skipSeparators: boolean
  /** Fold a run of one repeated CJK-like character into one symbol with a count. */
  collapseRepeats: boolean
}

/** Code point → symbol of the dictionary's alphabet; 0 for a code point no keyword uses. */
export interface Alphabet {
  readonly size: number
  symbolOf(codePoint: number): number
}

/** Set in a stream gap when the skipped characters split two digits ("6.9" is not "69"). */
export const DIGIT_SPLIT = 0x8000
const GAP_COUNT = 0x7fff

/**
 * The significant characters of a text (the stream) and their runs. Offsets are UTF-16 indices
 * into the text; the gap of a stream character counts the skipped code points before it, a run
 * of one repeated separator counting once. Buffers are reused between calls: matching is
 * synchronous, so a result is read before the next text overwrites it.
 */
export class TextRuns {
  runCount = 0
  runSymbol = new Int32Array(256)
  runFirst = new Int32Array(256)
  runLength = new Int32Array(256)
  streamOffset = new Int32Array(256)
  streamGap = new Uint16Array(256)

  read(text: string, alphabet: Alphabet, mode: ReadMode): void {
    this.reserve(text.length)
    let runs = 0
    let count = 0
    let previous = -1
    let previousClass = 0
    let gap = 0
    let lastSkipped = -1
    // Read once: property loads in the loop below cost a measurable share of a scan.
    const { skipSeparators, collapseRepeats } = mode

    for (let index = 0; index < text.length; ) {
      const codePoint = text.codePointAt(index) as number
      const width = codePoint > 0xffff ? 2 : 1
      const flags = classifyCodePoint(codePoint)
      if (skipSeparators && flags & SKIP) {
        if (!(flags & FREE) && codePoint !== lastSkipped) gap++
        lastSkipped = codePoint
        index += width
        continue
      }

      const split = gap > 0 && flags & DIGIT && previousClass & DIGIT ? DIGIT_SPLIT : 0
      this.streamOffset[count] = index
      this.streamGap[count] = Math.min(gap, GAP_COUNT) | split
      if (collapseRepeats && codePoint === previous && flags & UNSPACED) {
        this.runLength[runs - 1] = (this.runLength[runs - 1] as number) + 1
      } else {
        this.runSymbol[runs] = alphabet.symbolOf(codePoint)
        this.runFirst[runs] = count
        this.runLength[runs] = 1
        runs++
      }
      count++
      previous = codePoint
      previousClass = flags
      gap = 0
      lastSkipped = -1
      index += width
    }
    this.runCount = runs
  }

  private reserve(length: number): void {
    if (this.streamOffset.length >= length) return
    const size = Math.max(length, this.streamOffset.length * 2)
    this.runSymbol = new Int32Array(size)
    this.runFirst = new Int32Array(size)
    this.runLength = new Int32Array(size)
    this.streamOffset = new Int32Array(size)
    this.streamGap = new Uint16Array(size)
  }
}

/** The gap count of a stream gap entry, without the digit-split flag. */
export function readGapCount(entry: number): number {
  return entry & GAP_COUNT
}
