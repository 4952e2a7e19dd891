/**
 * What the keyword scanner needs to know about one code point, as bit flags. Regex property
 * tests are slow for a hot loop, so each code point is classified once and remembered.
 */

/** Separator, punctuation, symbol, control, format or emoji: may sit inside an evasion. */
export const SKIP = 1
/** Skippable but not counted in a gap: joiners, variation selectors, skin tones, keycaps. */
export const FREE = 2
/** Whitespace or punctuation: the kind of gap ordinary writing leaves between words. */
export const BREAK = 4
/** Letter, number, mark or underscore: what a word boundary looks at. */
export const WORD = 8
/** A script written without spaces between words: no boundaries, repeats may collapse. */
export const UNSPACED = 16
export const DIGIT = 32
export const SPACE = 64
const KNOWN = 128

// Decorations of emoji: skin tones, the keycap, variation selectors.
const EMOJI_PARTS = String.raw`\p{Emoji_Modifier}\u20e3\ufe00-\ufe0f\u{e0100}-\u{e01ef}`
const SKIPPABLE = new RegExp(
  String.raw`[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\p{Cs}\p{Extended_Pictographic}${EMOJI_PARTS}]`,
  'u',
)
const UNCOUNTED = new RegExp(String.raw`[\p{Cf}${EMOJI_PARTS}]`, 'u')
const BREAKING = /[\p{P}\p{Z}\t\n\v\f\r\u0085]/u
const WORDLIKE = /[\p{L}\p{N}\p{M}_]/u
const UNSPACED_SCRIPT =
  /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}]/u
const DECIMAL = /\p{Nd}/u
const WHITESPACE = /[\p{Z}\t\n\v\f\r\u0085]/u

// Astral code points are mostly emoji; the cap keeps hostile input from growing the cache.
const ASTRAL_CACHE_LIMIT = 4096
const bmpClasses = new Uint8Array(0x10000)
const astralClasses = new Map<number, number>()

/** The flags of a code point (see SKIP, FREE, BREAK, WORD, UNSPACED, DIGIT, SPACE). */
export function classifyCodePoint(codePoint: number): number {
  if (codePoint < 0x10000) {
    const known = bmpClasses[codePoint] as number
    if (known !== 0) return known
    const computed = computeClass(codePoint)
    bmpClasses[codePoint] = computed
    return computed
  }

  const cached = astralClasses.get(codePoint)
  if (cached !== undefined) return cached
  const computed = computeClass(codePoint)
  if (astralClasses.size < ASTRAL_CACHE_LIMIT) astralClasses.set(codePoint, computed)
  return computed
}

function computeClass(codePoint: number): number {
  const char = String.fromCodePoint(codePoint)
  let flags = KNOWN
  if (SKIPPABLE.test(char)) flags |= SKIP
  if (UNCOUNTED.test(char)) flags |= FREE
  if (BREAKING.test(char)) flags |= BREAK
  // Variation selectors and the keycap are marks, but they decorate emoji, not words.
  if ((char === '_' || !(flags & SKIP)) && WORDLIKE.test(char)) flags |= WORD
  if (UNSPACED_SCRIPT.test(char)) flags |= UNSPACED
  if (DECIMAL.test(char)) flags |= DIGIT
  if (WHITESPACE.test(char)) flags |= SPACE
  return flags
}

/** The code point starting at `index`, or -1 past the end; lone surrogates stand for themselves. */
export function readCodePoint(text: string, index: number): number {
  return index < text.length ? (text.codePointAt(index) as number) : -1
}

/** The code point ending just before `index`, or -1 at the start. */
export function readCodePointBefore(text: string, index: number): number {
  if (index <= 0) return -1
  const low = text.charCodeAt(index - 1)
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2)
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(index - 2) as number
  }
  return low
}
