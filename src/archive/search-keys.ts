/**
 * Search keys stored beside each message. FerretDB has no text index and MongoDB's does not
 * segment Chinese, so text search uses character n-grams: every distinct bigram of the search
 * form of the text, plus each CJK character on its own (one-character Chinese queries are
 * common: 赌, 股). A query looks up one of its grams by equality and then checks the candidates
 * for the whole substring. Time ranges use `day` buckets, which equality can also reach.
 */

import { normaliseText } from '../policy/normalise-text.js'

const MAX_GRAMS = 4096
// Single characters worth a key of their own: CJK, and digits (Chinese numerals fold to them).
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}0-9]/u
const SPACE = /\s+/gu

/**
 * What search compares, for texts and queries alike: the policy's evasion-resistant form
 * (NFKC, no zero-width or format characters, case folded, look-alikes and traditional
 * characters folded, digit forms as ASCII) without white space — so a search for 赌 finds
 * 賭 and 赌 with a zero-width space inside, as the policy would.
 */
export function searchForm(text: string): string {
  return normaliseText(text).text.replace(SPACE, '')
}

export function textGrams(text: string | null): string[] {
  if (!text) return []
  const chars = Array.from(searchForm(text))
  const grams = new Set<string>()
  for (let i = 0; i < chars.length && grams.size < MAX_GRAMS; i++) {
    const char = chars[i] as string
    if (CJK.test(char)) grams.add(char)
    const next = chars[i + 1]
    if (next !== undefined) grams.add(char + next)
  }
  if (chars.length === 1) grams.add(chars[0] as string)
  return [...grams]
}

/**
 * The gram a query is looked up by: for one character the character, else the bigram that
 * is least likely to be common (CJK over Latin, then the later one, which tends to be rarer in
 * chat than an opening particle).
 */
export function queryGrams(query: string): string[] {
  const chars = Array.from(searchForm(query))
  if (chars.length === 0) return []
  if (chars.length === 1) return [chars[0] as string]
  const grams: string[] = []
  for (let i = 0; i + 1 < chars.length; i++) grams.push((chars[i] as string) + chars[i + 1])
  return [...new Set(grams)]
}

const formats = new Map<string, Intl.DateTimeFormat>()

/** One formatter per zone and shape, built once (building one costs far more than using it). */
export function zonedFormat(
  locale: string,
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`
  let format = formats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone })
    formats.set(key, format)
  }
  return format
}

const DAY_PARTS = { year: 'numeric', month: '2-digit', day: '2-digit' } as const

/** The calendar day of `at` in `timeZone`, as YYYY-MM-DD. */
export function dayOf(at: Date, timeZone: string): string {
  return zonedFormat('en-CA', timeZone, DAY_PARTS).format(at)
}

/** Every day from `from` to `to` inclusive (both YYYY-MM-DD), newest first. */
export function daysBetween(from: Date, to: Date, timeZone: string, limit = 3660): string[] {
  const days: string[] = []
  const seen = new Set<string>()
  // Step by 6 h so that no calendar day in any zone is skipped; keep each day once.
  for (let at = to.getTime(); at >= from.getTime() - 6 * 3_600_000; at -= 6 * 3_600_000) {
    const day = dayOf(new Date(Math.max(at, from.getTime())), timeZone)
    if (!seen.has(day)) {
      seen.add(day)
      days.push(day)
      if (days.length >= limit) break
    }
  }
  return days
}
