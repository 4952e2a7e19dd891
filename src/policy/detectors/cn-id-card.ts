import type { DetectorHit } from './detector-hit.js'
import {
  chooseWindows,
  type DigitWindow,
  findWindowSpan,
  readWindowDigits,
  rememberLastRuns,
} from './digit-runs.js'

export type IdNumberCheck = 'valid' | 'bad-checksum' | 'invalid'

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK_CHARACTERS = '10X98765432'
/**
 * What people type for the check digit X: Latin, full-width, the Roman numeral ten ('Ⅹ', one
 * character) and the Cyrillic and Greek capitals that look the same ('Х', 'Χ'), in both cases.
 */
const CHECK_X = new Set([
  ...['X', 'x', '\uff38', '\uff58'],
  ...['\u2169', '\u2179', '\u0425', '\u0445', '\u03a7', '\u03c7'],
])
const SHAPE = /^\d{17}[\dX]$/
const FIRST_YEAR = 1900

/**
 * 18-character resident ID numbers: 17 digits, then a check digit or X, with a real birth date
 * (YYYYMMDD from 1900 to this year) at characters 7–14. A failed ISO 7064 MOD 11-2 checksum is
 * reported as REVIEW: a typo or a made-up number is still worth a human look.
 */
export const detectCnIdCard = rememberLastRuns((original, runs): DetectorHit[] =>
  chooseWindows(runs, 17, 18, (window) => readIdNumber(original, window)),
)

/** Whether 18 characters (digits, then a digit or upper-case X) make a resident ID number. */
export function checkIdNumber(value: string, now = new Date()): IdNumberCheck {
  if (!SHAPE.test(value) || !hasBirthDate(value.slice(6, 14), now)) return 'invalid'
  const sum = WEIGHTS.reduce((total, weight, index) => total + weight * Number(value[index]), 0)
  return CHECK_CHARACTERS[sum % 11] === value[17] ? 'valid' : 'bad-checksum'
}

function readIdNumber(original: string, window: DigitWindow): DetectorHit | null {
  const digits = readWindowDigits(window)
  const span = findWindowSpan(window)
  const hasCheckX = digits.length === 17 && CHECK_X.has(original[span.end] ?? '')
  if (digits.length === 17 && !hasCheckX) return null

  const value = hasCheckX ? `${digits}X` : digits
  const check = checkIdNumber(value)
  if (check === 'invalid') return null

  const end = hasCheckX ? span.end + 1 : span.end
  const isValid = check === 'valid'
  return {
    start: span.start,
    end,
    text: original.slice(span.start, end),
    verdict: isValid ? 'FLAG' : 'REVIEW',
    reason: isValid ? 'resident ID number' : 'resident ID number whose checksum fails',
    value,
  }
}

function hasBirthDate(yyyymmdd: string, now: Date): boolean {
  const year = Number(yyyymmdd.slice(0, 4))
  const month = Number(yyyymmdd.slice(4, 6))
  const day = Number(yyyymmdd.slice(6, 8))
  if (year < FIRST_YEAR || year > now.getUTCFullYear()) return false

  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}
