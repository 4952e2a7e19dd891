import { checkIdNumber } from './cn-id-card.js'
import type { DetectorHit } from './detector-hit.js'
import {
  chooseWindows,
  type DigitWindow,
  findWindowSpan,
  readWindowDigits,
  rememberLastRuns,
} from './digit-runs.js'

const CARD = /^[3-6]\d{15,18}$/

/**
 * Payment card numbers: 16–19 digits starting with 3–6 (62 is UnionPay), grouped as people
 * write them, that pass the Luhn check. One that fails is not reported at all: long numbers
 * (orders, accounts, references) fail it nine times in ten, so it says nothing about a card.
 * An 18-digit number that is a valid resident ID number is left to the ID detector.
 */
export const detectBankCard = rememberLastRuns((original, runs): DetectorHit[] =>
  chooseWindows(runs, 16, 19, (window) => readCardNumber(original, window)),
)

/** The Luhn (mod 10) check over a string of ASCII digits. */
export function passesLuhn(digits: string): boolean {
  let sum = 0
  for (let index = 0; index < digits.length; index++) {
    const digit = Number(digits[digits.length - 1 - index])
    const doubled = index % 2 === 1 ? digit * 2 : digit
    sum += doubled > 9 ? doubled - 9 : doubled
  }
  return sum % 10 === 0
}

function readCardNumber(original: string, window: DigitWindow): DetectorHit | null {
  const digits = readWindowDigits(window)
  if (!CARD.test(digits) || !passesLuhn(digits)) return null
  if (digits.length === 18 && checkIdNumber(digits) === 'valid') return null

  const { start, end } = findWindowSpan(window)
  return {
    start,
    end,
    text: original.slice(start, end),
    verdict: 'FLAG',
    reason: 'bank card number',
    value: digits,
  }
}
