import {
  BREAK,
  classifyCodePoint,
  DIGIT,
  readCodePoint,
  readCodePointBefore,
  SKIP,
  SPACE,
  UNSPACED,
  WORD,
} from './char-class.js'
import { isFunctionWord } from './function-words.js'
import type { KeywordBoundaries, KeywordVariant } from './keyword-types.js'
import { DIGIT_SPLIT, readGapCount, type TextRuns } from './text-runs.js'

/**
 * Whether the keyword characters at these stream indices sit close enough: between two of
 * them at most `maxGap` skipped code points (surplus repeats included), or as many as the
 * keyword itself has there, and never a gap splitting two digits the keyword writes together.
 */
export function fitsGaps(
  runs: TextRuns,
  matched: readonly number[],
  variant: KeywordVariant,
  maxGap: number,
): boolean {
  for (let q = 1; q < matched.length; q++) {
    const at = matched[q] as number
    const previous = matched[q - 1] as number
    let pending = at - previous - 1
    let split = 0
    for (let p = previous + 1; p <= at; p++) {
      const entry = runs.streamGap[p] as number
      pending += readGapCount(entry)
      split |= entry & DIGIT_SPLIT
    }
    const own = variant.ownGaps?.[q] ?? 0
    if (split !== 0 && own === 0) return false
    if (pending > Math.max(maxGap, own)) return false
  }
  return true
}

/** Whether the span stands where the boundary mode wants it (see KeywordBoundaries). */
export function hasBoundaries(
  text: string,
  start: number,
  end: number,
  variant: KeywordVariant,
  boundaries: KeywordBoundaries,
): boolean {
  if (boundaries === 'none') return true
  let before = classifyNeighbour(readCodePointBefore(text, start))
  let after = classifyNeighbour(readCodePoint(text, end))
  // A decimal point between digits joins them into one number: `69` is not in `69.5` or `1.69`.
  if (variant.startFlags & DIGIT && isDecimalPoint(text, start - 1, start - 2)) before = DIGIT_WORD
  if (variant.endFlags & DIGIT && isDecimalPoint(text, end, end + 1)) after = DIGIT_WORD
  if (boundaries === 'word') return !(before & WORD) && !(after & WORD)
  if (isSpacedWordChar(variant.startFlags) && isSpacedWordChar(before)) return false
  return !(isSpacedWordChar(variant.endFlags) && isSpacedWordChar(after))
}

/**
 * Whether a gapped hit may just be two words meeting: everything skipped is whitespace or
 * punctuation, and either a letter of the same kind as the keyword's edge, not a function
 * word, continues on a side (`我打赌 博物馆`, but not `去赌 博吗`), or the keyword is
 * Latin-like and only whitespace was skipped, the way those scripts part words (`the rapist`).
 */
export function isMaybeWordBreak(
  text: string,
  start: number,
  end: number,
  variant: KeywordVariant,
): boolean {
  let skipped = false
  let spacesOnly = true
  for (let index = start; index < end; ) {
    const codePoint = text.codePointAt(index) as number
    const flags = classifyCodePoint(codePoint)
    if (flags & SKIP) {
      if (!(flags & BREAK)) return false
      skipped = true
      spacesOnly &&= (flags & SPACE) !== 0
    }
    index += codePoint > 0xffff ? 2 : 1
  }
  if (!skipped) return false

  const spacedWord = isSpacedWordChar(variant.startFlags) && isSpacedWordChar(variant.endFlags)
  if (spacedWord && spacesOnly) return true
  const before = readCodePointBefore(text, start)
  const after = readCodePoint(text, end)
  return continuesWord(before, variant.startFlags) || continuesWord(after, variant.endFlags)
}

const DIGIT_WORD = DIGIT | WORD

/** Whether text[at] is a full stop with a digit at text[beyond] (both ASCII after NFKC). */
function isDecimalPoint(text: string, at: number, beyond: number): boolean {
  const digit = text.charCodeAt(beyond)
  return text.charCodeAt(at) === 0x2e && digit >= 0x30 && digit <= 0x39
}

function classifyNeighbour(codePoint: number): number {
  return codePoint < 0 ? 0 : classifyCodePoint(codePoint)
}

function isSpacedWordChar(flags: number): boolean {
  return (flags & WORD) !== 0 && (flags & UNSPACED) === 0
}

/** Whether the neighbour may form one word with the keyword's edge character. */
function continuesWord(neighbour: number, edge: number): boolean {
  const flags = classifyNeighbour(neighbour)
  if ((flags & WORD) === 0 || (flags & UNSPACED) !== (edge & UNSPACED)) return false
  return (flags & UNSPACED) === 0 || !isFunctionWord(neighbour)
}

/** How a keyword and a hit are compared: the amount of whitespace is no evasion. */
export function collapseSpaces(text: string): string {
  // Most hits hold no whitespace, or single spaces: spare them the regex.
  if (!hasOddWhitespace(text, 0, text.length)) return text
  return text.replace(/\s+/gu, ' ')
}

/** Whether text[start, end) holds whitespace other than single spaces: collapseSpaces' work. */
export function hasOddWhitespace(text: string, start: number, end: number): boolean {
  for (let at = start; at < end; at++) {
    const code = text.charCodeAt(at)
    if (!isWhitespace(code)) continue
    if (code !== 0x20 || (at + 1 < end && isWhitespace(text.charCodeAt(at + 1)))) return true
  }
  return false
}

/** Whether a code unit is one that `\s` matches (no astral character is). */
function isWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d)
  if (code < 0xa0) return false
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  )
}
