import { detectBankCard } from './bank-card.js'
import { detectCnIdCard } from './cn-id-card.js'
import type { DetectorHit } from './detector-hit.js'
import {
  chooseWindows,
  type DigitWindow,
  findDigitRuns,
  findWindowSpan,
  readWindowDigits,
} from './digit-runs.js'

const MOBILE = /^1[3-9]\d{9}$/
/** Country code as written before a mainland number: 86, +86 or 0086. */
const COUNTRY_PREFIXES = ['', '86', '0086']
const PLUS_SIGNS = new Set(['+', '\uff0b'])

/**
 * Mainland China mobile numbers, 1[3-9] and nine more digits, in any digit form and grouping
 * (`138 0013 8000`, `+86-138-0013-8000`, `幺三八…`). A number glued to further digits is not one,
 * and groups that belong to an ID or card number (`110105 19491231 002X`) are left to them.
 */
export function detectCnMobile(original: string, runs = findDigitRuns(original)): DetectorHit[] {
  const claimed = [...detectCnIdCard(original, runs), ...detectBankCard(original, runs)]
  const mobiles = chooseWindows(runs, 11, 15, (window) => readMobile(original, window))
  return claimed.length === 0 ? mobiles : dropOverlapping(mobiles, claimed)
}

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
  return {
    start,
    end: span.end,
    text: original.slice(start, span.end),
    verdict: 'FLAG',
    reason: prefix === '' ? 'mobile number' : 'mobile number with country code',
    value: number,
  }
}
