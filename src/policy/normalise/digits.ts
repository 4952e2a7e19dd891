import { FLAGS, markCharacters } from './char-flags.js'
import { readDecimalDigit } from './decimal-digits.js'
import { type Pieces, readPart, readSimpleCode, rewritePiece, type StepContext } from './pieces.js'
import { PieceKinds } from './runs.js'

/**
 * Characters read as one digit in Chinese text: ordinary and financial numerals, '幺' (one, in
 * phone numbers) and '○' (zero, typed in place of '〇'). Traditional financial forms arrive
 * here already simplified ('貳參陸' → '贰参陆'), hence '参'. '十', '百' and '两' are not digits
 * but words for numbers, and are left alone.
 */
const CHINESE_DIGITS: Readonly<Record<string, string>> = {
  〇: '0',
  '○': '0',
  零: '0',
  一: '1',
  壹: '1',
  幺: '1',
  二: '2',
  贰: '2',
  三: '3',
  叁: '3',
  参: '3',
  四: '4',
  肆: '4',
  五: '5',
  伍: '5',
  六: '6',
  陆: '6',
  七: '7',
  柒: '7',
  八: '8',
  捌: '8',
  九: '9',
  玖: '9',
}

/**
 * How many digit-like characters a run needs before its Chinese numerals become digits. Two
 * would turn everyday words ('一一', '七八个人', '三五成群') into numbers; no number worth
 * hiding (a phone, ID, card or QQ number) is shorter than three digits.
 */
const MIN_RUN_DIGITS = 3
/** Separator characters allowed between two digits of one run, as in '幺三八 零零幺三'. */
const MAX_GAP = 3
const SEPARATORS = new Set([' ', '-', '‐', '‑', '‒', '–', '—', '―', '−', '.', '·', '・', '_', '/'])

const ASCII_DIGITS = /^[0-9]+$/
/** What NFKC leaves of parenthesised and full-stop digits: '⑴' → '(1)', '⒈' → '1.', '㈠' → '(一)'. */
const WRAPPED_DIGITS = /^\(([0-9]+|[一二三四五六七八九十])\)$|^([0-9]+)[.,]$/u

interface DigitPiece {
  digits: string
  /** Folded only inside a long enough run (a Chinese numeral) or always (a digit symbol). */
  needsRun: boolean
}

/** Every one-character piece that reads as digits, with what it folds to. */
const DIGIT_CHARS = collectDigitChars()

// ASCII digits alone never change, so they do not wake this step; the traditional numerals do.
markCharacters([...Object.keys(CHINESE_DIGITS), '貳', '參', '陸'], FLAGS.digit)
markCharacters(/[\u2474-\u249b\u24eb-\u24ff\u2776-\u2793\u3220-\u3229\u3280-\u3289]/u, FLAGS.digit)
// Decimal digits of other scripts ('١٣٨', '१३८', '๑๓๘'): NFKC leaves them as they are.
markCharacters(/(?![0-9])\p{Nd}/u, FLAGS.digit)

/** What an unchanged one-character piece is to this step: a look-up instead of a map query. */
const OTHER = 0
const SEPARATOR = 1
/** An ASCII digit: counts towards a run and never changes. */
const PLAIN_DIGIT = 2
/** A character that reads as a digit but is not one: read it through DIGIT_CHARS. */
const DIGIT_FORM = 3
const KINDS = new PieceKinds(readCharKind, readTextKind)
/** A decimal digit of any script folds wherever it stands, as ASCII digits would read. */
const DECIMAL_PIECES: readonly DigitPiece[] = Array.from({ length: 10 }, (_, digit) => ({
  digits: String(digit),
  needsRun: false,
}))
const SIMPLE_DIGITS: Array<DigitPiece | undefined> = []
for (const [char, digit] of DIGIT_CHARS) {
  if (char.length === 1) SIMPLE_DIGITS[char.charCodeAt(0)] = digit
}

/**
 * Folds digit forms to ASCII. Digit symbols with no NFKC mapping (dingbat and double-circled
 * digits) and NFKC's parenthesised digits always fold; Chinese numerals fold only inside a run
 * of at least MIN_RUN_DIGITS digit-like characters (ASCII digits count), so '一起' and '三点开会'
 * stay words while '幺三八零零幺三八零零零' and '138零零138000' become numbers.
 */
export function foldDigits(pieces: Pieces, context: StepContext): boolean {
  if ((context.flags & FLAGS.digit) === 0) return false
  if (pieces.markedCount < 0) return foldRegion(pieces, 0, pieces.count)

  // A piece of no digit-like kind ends any run, so the text falls into regions between such
  // pieces; only a region holding a marked digit form can change, and is read from its start.
  let changed = false
  let done = 0
  for (let m = 0; m < pieces.markedCount; m++) {
    const seed = pieces.marked[m] as number
    if (seed < done || KINDS.read(pieces, seed) !== DIGIT_FORM) continue
    let from = seed
    while (from > 0 && KINDS.read(pieces, from - 1) !== OTHER) from--
    let to = seed + 1
    while (to < pieces.count && KINDS.read(pieces, to) !== OTHER) to++
    if (foldRegion(pieces, from, to)) changed = true
    done = to
  }
  return changed
}

/** Folds the digit runs of pieces [from, to], where `to` is a piece of kind OTHER or the end. */
function foldRegion(pieces: Pieces, from: number, to: number): boolean {
  let changed = false
  let first = -1
  let last = -1
  let runDigits = 0
  let gap = 0

  for (let i = from; i <= to; i++) {
    const kind = i < pieces.count ? KINDS.read(pieces, i) : OTHER
    if (kind === PLAIN_DIGIT || kind === DIGIT_FORM) {
      const digit = kind === PLAIN_DIGIT ? null : readPieceDigits(pieces, i)
      if (digit !== null && !digit.needsRun && rewritePiece(pieces, i, digit.digits, 'digits')) {
        changed = true
      }
      if (first < 0) first = i
      last = i
      runDigits += digit === null ? 1 : digit.digits.length
      gap = 0
      continue
    }
    if (kind < 0) continue
    if (first >= 0 && kind === SEPARATOR && gap < MAX_GAP) {
      gap++
      continue
    }
    // Between the run's first and last digit lie only separators and emptied pieces,
    // which read as no digit: folding each piece of the span folds just the digits.
    if (runDigits >= MIN_RUN_DIGITS) {
      for (let at = first; at <= last; at++) if (foldPiece(pieces, at)) changed = true
    }
    first = -1
    runDigits = 0
    gap = 0
  }

  return changed
}

function readTextKind(part: string): number {
  if (part === '') return -1
  if (readDigitPiece(part) !== null) return DIGIT_FORM
  return SEPARATORS.has(part) ? SEPARATOR : OTHER
}

function readCharKind(char: string): number {
  if (char >= '0' && char <= '9') return PLAIN_DIGIT
  if (DIGIT_CHARS.has(char) || readDecimalDigit(char.charCodeAt(0)) >= 0) return DIGIT_FORM
  return SEPARATORS.has(char) ? SEPARATOR : OTHER
}

function foldPiece(pieces: Pieces, index: number): boolean {
  const digit = readPieceDigits(pieces, index)
  return digit !== null && rewritePiece(pieces, index, digit.digits, 'digits')
}

/** What piece `index` reads as; unchanged characters through a table, not the text. */
function readPieceDigits(pieces: Pieces, index: number): DigitPiece | null {
  const code = readSimpleCode(pieces, index)
  if (code < 0) return readDigitPiece(readPart(pieces, index))
  return SIMPLE_DIGITS[code] ?? DECIMAL_PIECES[readDecimalDigit(code)] ?? null
}

function readDigitPiece(part: string): DigitPiece | null {
  const known = DIGIT_CHARS.get(part)
  if (known !== undefined) return known
  const codePoint = part.codePointAt(0) ?? 0
  if (part.length === (codePoint > 0xffff ? 2 : 1)) {
    return DECIMAL_PIECES[readDecimalDigit(codePoint)] ?? null
  }
  if (ASCII_DIGITS.test(part)) return { digits: part, needsRun: false }
  const wrapped = WRAPPED_DIGITS.exec(part)
  const inner = wrapped?.[1] ?? wrapped?.[2]
  if (inner === undefined) return null
  return { digits: CHINESE_DIGITS[inner] ?? (inner === '十' ? '10' : inner), needsRun: false }
}

/**
 * ASCII digits, Chinese numerals and the circled digit symbols NFKC keeps as they are
 * (dingbat, negative and double-circled ones); those for 10 and above read as '10'…'20'.
 */
function collectDigitChars(): Map<string, DigitPiece> {
  const chars = new Map<string, DigitPiece>()
  const addSymbol = (code: number, value: number) =>
    chars.set(String.fromCodePoint(code), { digits: String(value), needsRun: false })

  for (let value = 0; value <= 9; value++) addSymbol(0x30 + value, value)
  for (const [char, digits] of Object.entries(CHINESE_DIGITS)) {
    chars.set(char, { digits, needsRun: true })
  }
  for (let code = 0x2776; code <= 0x2793; code++) addSymbol(code, ((code - 0x2776) % 10) + 1)
  for (let code = 0x24f5; code <= 0x24fe; code++) addSymbol(code, code - 0x24f4)
  for (let code = 0x24eb; code <= 0x24f4; code++) addSymbol(code, code - 0x24eb + 11)
  for (const code of [0x24ff, 0x1f10b, 0x1f10c]) addSymbol(code, 0)
  return chars
}
