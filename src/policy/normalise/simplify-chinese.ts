import { Converter, type DictLike, Locale } from 'opencc-js/t2cn'
import { FLAGS, markCharacters } from './char-flags.js'
import { forEachRun, type Pieces, rewritePiece, type StepContext } from './pieces.js'

// Taiwan variants first, then traditional → simplified with OpenCC's phrase tables, so that
// '著名' keeps its '著' while '看著' becomes '看着'. Built once: the tables take milliseconds.
const toSimplified = Converter({ from: 'tw', to: 'cn' })

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

/** Traditional and variant characters → simplified, for matching only (the archive is kept). */
export function simplifyChinese(pieces: Pieces, context: StepContext): boolean {
  if ((context.flags & FLAGS.convertible) === 0) return false

  let changed = false
  forEachRun(
    pieces,
    (part) => HAN_PIECE.test(part),
    (run) => {
      const parts = run.map((index) => pieces.parts[index] ?? '')
      const simplified = mayConvert(parts) ? convertRun(parts) : parts
      run.forEach((index, at) => {
        const folded = foldVariants(simplified[at] ?? '')
        if (rewritePiece(pieces, index, folded, 't2s')) changed = true
      })
    },
  )
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
  const dicts: DictLike[] = (Locale.configs.tw2s?.conversionChain ?? []).flat()
  for (const dict of dicts) {
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
