import { readDecimalDigit } from '../normalise/decimal-digits.js'

/**
 * How a digit is written. Two digits of different forms side by side start a new group, as a
 * separator does: `13800138000一下` keeps its number, while `1三8零…` still reads as one.
 */
export type DigitForm = 'plain' | 'han' | 'enclosed' | 'script'

export interface DigitReading {
  digit: number
  form: DigitForm
}

// Chinese numerals, financial numerals (simplified and traditional) and 幺, the "one" read out
// in phone numbers.
const HAN_DIGITS = new Map<number, number>(
  [
    ['〇零', 0],
    ['一壹幺', 1],
    ['二贰貳', 2],
    ['三叁參', 3],
    ['四肆', 4],
    ['五伍', 5],
    ['六陆陸', 6],
    ['七柒', 7],
    ['八捌', 8],
    ['九玖', 9],
  ].flatMap(([chars, digit]) =>
    Array.from(chars as string, (char) => [char.codePointAt(0) as number, digit as number]),
  ),
)

/** First code point of each run of nine digits 1–9 (circled, parenthesised, with full stop). */
const ENCLOSED_ONES = [0x2460, 0x2474, 0x2488, 0x2776, 0x2780, 0x278a, 0x24f5]
const ENCLOSED_ZEROS = new Set([0x24ea, 0x24ff, 0x1f10b, 0x1f10c])
const SUPERSCRIPTS = new Map([
  [0x2070, 0],
  [0xb9, 1],
  [0xb2, 2],
  [0xb3, 3],
])

const FORMS: readonly DigitForm[] = ['plain', 'han', 'enclosed', 'script']
/** One reading per form and digit, shared: readings are never altered. */
const READINGS: readonly (readonly DigitReading[])[] = FORMS.map((form) =>
  Array.from({ length: 10 }, (_, digit) => Object.freeze({ digit, form })),
)
const PLAIN = READINGS[0] as readonly DigitReading[]
/** Per BMP code unit: 0 not yet read, 1 no digit, else 2 + form index * 10 + digit. */
const BMP_READINGS = new Uint8Array(0x10000)
/** Astral code points read so far; the cap keeps hostile input from growing it. */
const ASTRAL_READINGS = new Map<number, DigitReading | null>()
const MAX_ASTRAL_READINGS = 4096

/**
 * True for a code unit already known to be no digit and no part of one: a cheap test for the
 * scanners, which meet such characters far more often than digits.
 */
export function isKnownNonDigit(code: number): boolean {
  if (code < 0x80) return code < 0x30 || code > 0x39
  return (code < 0xd800 || code > 0xdfff) && BMP_READINGS[code] === 1
}

/** The digit a code point stands for in a written number, or null. */
export function readDigit(codePoint: number): number | null {
  return readDigitForm(codePoint)?.digit ?? null
}

/** The digit and how it is written, for telling groups apart. */
export function readDigitForm(codePoint: number): DigitReading | null {
  // Most of any text is ASCII letters, spaces and punctuation: answer those at once.
  if (codePoint < 0x80) {
    return codePoint >= 0x30 && codePoint <= 0x39 ? (PLAIN[codePoint - 0x30] ?? null) : null
  }
  if (codePoint >= 0x10000) return readAstralDigitForm(codePoint)

  let entry = BMP_READINGS[codePoint] as number
  if (entry === 0) {
    const reading = computeDigitForm(codePoint)
    entry = reading === null ? 1 : 2 + FORMS.indexOf(reading.form) * 10 + reading.digit
    BMP_READINGS[codePoint] = entry
  }
  if (entry === 1) return null
  return READINGS[Math.floor((entry - 2) / 10)]?.[(entry - 2) % 10] ?? null
}

/** Emoji, in most messages, would otherwise go through every check below each time. */
function readAstralDigitForm(codePoint: number): DigitReading | null {
  const known = ASTRAL_READINGS.get(codePoint)
  if (known !== undefined) return known
  const reading = computeDigitForm(codePoint)
  if (ASTRAL_READINGS.size < MAX_ASTRAL_READINGS) ASTRAL_READINGS.set(codePoint, reading)
  return reading
}

/**
 * Decimal digits of every script (full-width, Arabic-Indic, Devanagari, Thai, mathematical…)
 * read as plain digits; Chinese numerals, enclosed digits and super- and subscripts as theirs.
 */
function computeDigitForm(codePoint: number): DigitReading | null {
  const decimal = readDecimalDigit(codePoint)
  if (decimal >= 0) return PLAIN[decimal] ?? null

  const han = HAN_DIGITS.get(codePoint)
  if (han !== undefined) return READINGS[1]?.[han] ?? null

  const enclosed = findInRuns(codePoint, ENCLOSED_ONES, 9, 1)
  if (enclosed !== null) return READINGS[2]?.[enclosed] ?? null
  if (ENCLOSED_ZEROS.has(codePoint)) return READINGS[2]?.[0] ?? null

  const script = readScriptDigit(codePoint)
  return script === null ? null : (READINGS[3]?.[script] ?? null)
}

function findInRuns(codePoint: number, firsts: number[], size: number, offset: number) {
  for (const first of firsts) {
    if (codePoint >= first && codePoint < first + size) return codePoint - first + offset
  }
  return null
}

function readScriptDigit(codePoint: number): number | null {
  const superscript = SUPERSCRIPTS.get(codePoint)
  if (superscript !== undefined) return superscript
  if (codePoint >= 0x2074 && codePoint <= 0x2079) return codePoint - 0x2070
  if (codePoint >= 0x2080 && codePoint <= 0x2089) return codePoint - 0x2080
  return null
}
