import { LazyTable } from './char-flags.js'

const DECIMAL = /\p{Nd}/u
const MAX_ASTRAL = 4096

/**
 * Unicode lays out every decimal digit script as one unbroken run from 0 to 9 (Arabic-Indic
 * '٠'–'٩', Devanagari '०'–'९', Thai '๐'–'๙', full-width '０'–'９'…), and where runs touch,
 * each still starts at its zero: a digit's value is its distance from the start of the stretch
 * of decimal digits it stands in, modulo ten.
 */
function computeDecimalDigit(codePoint: number): number {
  if (!isDecimal(codePoint)) return -1
  let zero = codePoint
  while (isDecimal(zero - 1)) zero--
  return (codePoint - zero) % 10
}

function isDecimal(codePoint: number): boolean {
  return codePoint >= 0 && DECIMAL.test(String.fromCodePoint(codePoint))
}

// Stored as value + 1, so that 0 can mean "no digit" in the table.
const BMP = new LazyTable((char) => computeDecimalDigit(char.charCodeAt(0)) + 1)
const astral = new Map<number, number>()

/** The value 0–9 of a decimal digit of any script, or -1 for any other code point. */
export function readDecimalDigit(codePoint: number): number {
  if (codePoint < 0x80) return codePoint >= 0x30 && codePoint <= 0x39 ? codePoint - 0x30 : -1
  if (codePoint < 0x10000) {
    return codePoint >= 0xd800 && codePoint <= 0xdfff ? -1 : BMP.read(codePoint) - 1
  }
  let value = astral.get(codePoint)
  if (value === undefined) {
    value = computeDecimalDigit(codePoint)
    if (astral.size < MAX_ASTRAL) astral.set(codePoint, value)
  }
  return value
}
