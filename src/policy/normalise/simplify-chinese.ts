import { Converter, Locale } from 'opencc-js/t2cn'
import { FLAGS, markCharacters } from './char-flags.js'
import { buildOpenccTables, type OpenccConfig, startsPhrase } from './opencc-tables.js'
import { type Pieces, readPart, readSimpleCode, rewritePiece, type StepContext } from './pieces.js'
import { actOnRuns, PieceKinds } from './runs.js'

// Taiwan variants first, then traditional → simplified with OpenCC's phrase tables, so that
// '著名' keeps its '著' while '看著' becomes '看着'. Built once: the tables take milliseconds.
const toSimplified = Converter({ from: 'tw', to: 'cn' })
const CONFIG = Locale.configs.tw2s as OpenccConfig | undefined

/**
 * Variants OpenCC leaves apart but a keyword list should not: OpenCC turns '帳' into '帐',
 * while the usual simplified spelling of 'transfer' is '转账'. Folding '帐' into '账' on both
 * sides makes '轉帳', '转帐' and '转账' one word; '帐篷' still matches itself as '账篷'.
 */
const VARIANTS: Readonly<Record<string, string>> = { 帐: '账' }

const HAN_PIECE = /^\p{sc=Han}+$/u

/**
 * Every character that some table entry replaces (at a place where its key and value differ)
 * or VARIANTS folds: text without one cannot change, which spares OpenCC most simplified text.
 */
const CONVERTIBLE = collectChangingChars()
markCharacters(CONVERTIBLE, FLAGS.convertible)

/** What an unchanged character is to this step; COMPLEX marks a piece read as text. */
const HAN = 1
const CHANGING = 2
const COMPLEX = 4
const KINDS = new PieceKinds(
  (char) => (HAN_PIECE.test(char) ? HAN : 0) | (CONVERTIBLE.has(char) ? CHANGING : 0),
  readTextKind,
)

/** OpenCC character by character, for the runs where no phrase can match. */
const TABLES =
  CONFIG === undefined ? undefined : buildOpenccTables(CONFIG, foldVariants, Object.keys(VARIANTS))

/** Whether OpenCC could change this BMP character, alone or in some phrase. */
export function maySimplify(code: number): boolean {
  return CONVERTIBLE.has(String.fromCharCode(code)) || (TABLES?.single[code] ?? -1) !== 0
}

/** Traditional and variant characters → simplified, for matching only (the archive is kept). */
export function simplifyChinese(pieces: Pieces, context: StepContext): boolean {
  if ((context.flags & FLAGS.convertible) === 0) return false

  return actOnRuns(pieces, KINDS, HAN, simplifyHanRun)
}

/** Simplifies a run of Han pieces, by table where it can, else through OpenCC. */
function simplifyHanRun(pieces: Pieces, first: number, end: number, kinds: number): boolean {
  // A run without a changing character comes out as it went in: skip it.
  if ((kinds & CHANGING) === 0) return false
  const fast = (kinds & COMPLEX) === 0 && simplifyByCharacter(pieces, first, end)
  return fast || simplifyRun(pieces, first, end)
}

function readTextKind(part: string): number {
  if (part === '') return -1
  if (!HAN_PIECE.test(part)) return 0
  return HAN | COMPLEX | (mayConvert([part]) ? CHANGING : 0)
}

/**
 * Simplifies pieces [first, end), each one unchanged BMP character, by table, unless a
 * character converts only in context or two neighbours could start a phrase; false then,
 * having changed nothing.
 */
function simplifyByCharacter(pieces: Pieces, first: number, end: number): boolean {
  if (TABLES === undefined) return false
  const { single, normalised, staged, normalisedPairs, stagedPairs } = TABLES
  let previous = -1
  for (let i = first; i < end; i++) {
    const code = readSimpleCode(pieces, i)
    if (code < 0) continue
    if ((single[code] ?? -1) < 0) return false
    if (previous >= 0) {
      const before = normalised[previous] ?? 0
      if (startsPhrase(normalisedPairs, before, normalised[code] ?? 0)) return false
      if (startsPhrase(stagedPairs, staged[previous] ?? 0, staged[code] ?? 0)) return false
    }
    previous = code
  }
  for (let i = first; i < end; i++) {
    const code = readSimpleCode(pieces, i)
    const simplified = code < 0 ? 0 : (single[code] ?? 0)
    if (simplified > 0) rewritePiece(pieces, i, String.fromCodePoint(simplified), 't2s')
  }
  return true
}

/** Simplifies the non-empty pieces of [first, end) through OpenCC itself. */
function simplifyRun(pieces: Pieces, first: number, end: number): boolean {
  const run: number[] = []
  for (let i = first; i < end; i++) if (readPart(pieces, i) !== '') run.push(i)
  const parts = run.map((index) => readPart(pieces, index))
  const simplified = convertRun(parts)
  let changed = false
  run.forEach((index, at) => {
    const folded = foldVariants(simplified[at] ?? '')
    if (rewritePiece(pieces, index, folded, 't2s')) changed = true
  })
  return changed
}

/**
 * Converts the run as a whole, so phrase tables see the context, when the result has as many
 * characters as the input and can be handed back piece by piece; otherwise (a table entry of
 * another length) each piece is converted on its own, which keeps the offset map exact.
 */
function convertRun(parts: string[]): string[] {
  const whole = Array.from(toSimplified(parts.join('')))
  const lengths = parts.map((part) => Array.from(part).length)
  const total = lengths.reduce((sum, length) => sum + length, 0)
  if (whole.length !== total) return parts.map((part) => toSimplified(part))

  let at = 0
  return lengths.map((length) => {
    const slice = whole.slice(at, at + length).join('')
    at += length
    return slice
  })
}

function mayConvert(parts: string[]): boolean {
  return parts.some((part) => Array.from(part).some((char) => CONVERTIBLE.has(char)))
}

function foldVariants(part: string): string {
  let folded = ''
  for (const char of part) folded += VARIANTS[char] ?? char
  return folded
}

function collectChangingChars(): Set<string> {
  const chars = new Set(Object.keys(VARIANTS))
  for (const dict of (CONFIG?.conversionChain ?? []).flat()) {
    const entries = typeof dict === 'string' ? dict.split('|').map((line) => line.split(' ')) : dict
    for (const [key = '', value = ''] of entries) addChangedChars(chars, key, value)
  }
  return chars
}

function addChangedChars(chars: Set<string>, key: string, value: string) {
  const replaced = Array.from(value)
  Array.from(key).forEach((char, at) => {
    if (replaced[at] !== char) chars.add(char)
  })
}
