import { detectBankCard } from './bank-card.js'
import { detectCnIdCard } from './cn-id-card.js'
import { CONTACT_WORDS } from './contact-words.js'
import type { DetectorHit } from './detector-hit.js'
import {
  chooseWindows,
  type DigitWindow,
  findWindowSpan,
  readWindowDigits,
  rememberLastRuns,
} from './digit-runs.js'

const MOBILE = /^1[3-9]\d{9}$/
/** Country code as written before a mainland number: 86, +86 or 0086. */
const COUNTRY_PREFIXES = ['', '86', '0086']
const PLUS_SIGNS = new Set(['+', '\uff0b'])
const GLUED_REASON = 'mobile-like number glued to letters, maybe an order or courier code'
/** Latin words for a contact that people glue to the number they give (`vx13800138000`). */
const GLUED_CONTACT_WORDS = new Set(
  [...CONTACT_WORDS, 'v', 'tel', 'phone', 'mobile', 'dh', 'sj'].filter((word) =>
    /^[a-z]+$/.test(word),
  ),
)

/**
 * Mainland China mobile numbers, 1[3-9] and nine more digits, in any digit form and grouping
 * (`138 0013 8000`, `+86-138-0013-8000`, `幺三八…`). A number glued to further digits is not one,
 * and groups that belong to an ID or card number (`110105 19491231 002X`) are left to them.
 */
export const detectCnMobile = rememberLastRuns((original, runs): DetectorHit[] => {
  if (runs.length === 0) return []
  const mobiles = chooseWindows(runs, 11, 15, (window) => readMobile(original, window))
  if (mobiles.length === 0) return mobiles
  const claimed = [...detectCnIdCard(original, runs), ...detectBankCard(original, runs)]
  return claimed.length === 0 ? mobiles : dropOverlapping(mobiles, claimed)
})

/** The hits that overlap none of `others`; both come in text order, so one pass does. */
function dropOverlapping(hits: DetectorHit[], others: DetectorHit[]): DetectorHit[] {
  const sorted = [...others].sort((a, b) => a.start - b.start)
  let next = 0
  return hits.filter((hit) => {
    while (next < sorted.length && (sorted[next] as DetectorHit).end <= hit.start) next++
    const other = sorted[next]
    return other === undefined || other.start >= hit.end
  })
}

function readMobile(original: string, window: DigitWindow): DetectorHit | null {
  const digits = readWindowDigits(window)
  const prefix = COUNTRY_PREFIXES.find((code) => digits.length === code.length + 11)
  const number = digits.slice(prefix?.length ?? 0)
  if (prefix === undefined || !digits.startsWith(prefix) || !MOBILE.test(number)) return null

  const span = findWindowSpan(window)
  const hasPlus = prefix !== '' && PLUS_SIGNS.has(original[span.start - 1] ?? '')
  const start = hasPlus ? span.start - 1 : span.start
  const code = isCodeLike(original, start, span.end)
  return {
    start,
    end: span.end,
    text: original.slice(start, span.end),
    verdict: code ? 'REVIEW' : 'FLAG',
    reason: code
      ? GLUED_REASON
      : prefix === ''
        ? 'mobile number'
        : 'mobile number with country code',
    value: number,
  }
}

/**
 * Whether the number is glued to Latin letters, as courier and order codes are (`SF13800138000`):
 * a human should look rather than flag. Letters that ask for a contact (`vx13800138000`) do not
 * make a code.
 */
function isCodeLike(original: string, start: number, end: number): boolean {
  if (isLatinLetter(original.charCodeAt(end))) return true
  let first = start
  while (first > 0 && isLatinLetter(original.charCodeAt(first - 1))) first--
  if (first === start) return false
  return !GLUED_CONTACT_WORDS.has(foldLetters(original.slice(first, start)))
}

function isLatinLetter(code: number): boolean {
  const folded = code >= 0xff21 && code <= 0xff5a ? code - 0xfee0 : code
  return (folded >= 0x41 && folded <= 0x5a) || (folded >= 0x61 && folded <= 0x7a)
}

function foldLetters(letters: string): string {
  return Array.from(letters, (char) => String.fromCharCode(toAsciiLetter(char))).join('')
}

function toAsciiLetter(char: string): number {
  const code = char.charCodeAt(0)
  const ascii = code >= 0xff21 ? code - 0xfee0 : code
  return ascii <= 0x5a ? ascii + 0x20 : ascii
}
