import { normaliseText } from './normalise-text.js'
import type { NormalisedSpan, RuleMatcher } from './types.js'

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u
// Scripts written without spaces between words: a keyword there may sit inside a longer run.
const UNSPACED_SCRIPT = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\p{sc=Thai}]/u

interface PreparedKeyword {
  text: string
  boundedStart: boolean
  boundedEnd: boolean
}

/** A keyword as it is matched: normalised like the text, surrounding blanks dropped. */
export function prepareKeyword(raw: string): string {
  return normaliseText(raw).text.trim()
}

/**
 * Finds every occurrence of every keyword, overlapping ones included. Keywords that begin or
 * end with a Latin-like letter or a digit only match at a word boundary on that side, so `69`
 * does not hit `695`; CJK keywords match anywhere.
 */
export function compileKeywordMatcher(keywords: readonly string[]): RuleMatcher {
  const unique = new Set(keywords.map(prepareKeyword).filter((keyword) => keyword !== ''))
  const prepared = [...unique].map(describeKeyword)
  return { findSpans: (text) => prepared.flatMap((keyword) => findKeyword(text, keyword)) }
}

function describeKeyword(text: string): PreparedKeyword {
  const chars = Array.from(text)
  return {
    text,
    boundedStart: isSpacedWordChar(chars[0]),
    boundedEnd: isSpacedWordChar(chars.at(-1)),
  }
}

function findKeyword(text: string, keyword: PreparedKeyword): NormalisedSpan[] {
  const spans: NormalisedSpan[] = []

  for (let at = text.indexOf(keyword.text); at >= 0; at = text.indexOf(keyword.text, at + 1)) {
    const end = at + keyword.text.length
    if (keyword.boundedStart && isSpacedWordChar(readCharBefore(text, at))) continue
    if (keyword.boundedEnd && isSpacedWordChar(readCharAt(text, end))) continue
    spans.push({ start: at, end })
  }

  return spans
}

function isSpacedWordChar(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR.test(char) && !UNSPACED_SCRIPT.test(char)
}

function readCharAt(text: string, index: number): string | undefined {
  const code = text.codePointAt(index)
  return code === undefined ? undefined : String.fromCodePoint(code)
}

function readCharBefore(text: string, index: number): string | undefined {
  const pair = index >= 2 ? text.codePointAt(index - 2) : undefined
  if (pair !== undefined && pair > 0xffff) return String.fromCodePoint(pair)
  return index >= 1 ? readCharAt(text, index - 1) : undefined
}
