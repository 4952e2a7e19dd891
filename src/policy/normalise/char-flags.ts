/**
 * One byte per BMP code unit saying which steps could change that character, so a message is
 * scanned once and every step it cannot concern is skipped (a regex per step would cost more
 * than most steps). Astral characters are read whole (see readCodePointFlags).
 */
export const FLAGS = {
  ignorable: 1,
  foldsCase: 2,
  latinOrMark: 4,
  lookAlike: 8,
  convertible: 16,
  digit: 32,
  /** Not a character's flag: set for a text that NFKC changes. */
  nfkc: 64,
} as const

export const EVERY_FLAG = 63
const TABLE = new Uint8Array(0x10000)
/** Every pattern and list marked so far, for the astral characters the table cannot hold. */
const MARKERS: Array<{ test: (char: string) => boolean; flag: number }> = []
/**
 * Emoji, which most chat messages carry: those no marker names and NFKC keeps get the flags of
 * their markers alone. Any other astral character keeps every flag, so that the steps look at
 * it closely, as they always did.
 */
const PLAIN_EMOJI = /^[\p{Extended_Pictographic}\p{Emoji_Modifier}]$/u
const astralFlags = new Map<number, number>()
const MAX_ASTRAL = 4096
// Every BMP character but the surrogates, as the haystack a pattern marks its characters in.
const BMP = Array.from({ length: 0xf800 }, (_, at) =>
  String.fromCharCode(at < 0xd800 ? at : at + 0x800),
).join('')

/**
 * Sets `flag` on the BMP characters listed, or on every one matching a one-character class;
 * with `keep`, only on those it keeps.
 */
export function markCharacters(
  chars: RegExp | Iterable<string>,
  flag: number,
  keep: (char: string) => boolean = () => true,
) {
  if (chars instanceof RegExp) {
    const pattern = new RegExp(chars.source, chars.flags.replace('g', ''))
    MARKERS.push({ test: (char) => pattern.test(char) && keep(char), flag })
  } else {
    const set = new Set(chars)
    MARKERS.push({ test: (char) => set.has(char) && keep(char), flag })
  }
  astralFlags.clear()
  const list =
    chars instanceof RegExp
      ? Array.from(BMP.matchAll(globalise(chars)), (match) => match[0])
      : chars
  for (const char of list) {
    if (!keep(char)) continue
    const code = char.charCodeAt(0)
    TABLE[code] = (TABLE[code] ?? 0) | flag
  }
}

function globalise(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`)
}

/** The union of the flags of every character of `text`. */
export function readFlags(text: string): number {
  let flags = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const next = text.charCodeAt(i + 1)
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      flags |= readCodePointFlags(text.codePointAt(i) as number)
      i++
    } else {
      flags |= readUnitFlags(code)
    }
  }
  return flags
}

/** The flags of one astral character; a lone surrogate carries every flag. */
export function readCodePointFlags(codePoint: number): number {
  let flags = astralFlags.get(codePoint)
  if (flags === undefined) {
    flags = classifyAstral(String.fromCodePoint(codePoint))
    if (astralFlags.size < MAX_ASTRAL) astralFlags.set(codePoint, flags)
  }
  return flags
}

function classifyAstral(char: string): number {
  if (!PLAIN_EMOJI.test(char) || char.normalize('NFKC') !== char) return EVERY_FLAG
  let flags = 0
  for (const marker of MARKERS) if (marker.test(char)) flags |= marker.flag
  return flags
}

/** The flags of one code unit. */
export function readUnitFlags(code: number): number {
  return code >= 0xd800 && code <= 0xdfff ? EVERY_FLAG : (TABLE[code] ?? 0)
}

/**
 * A step's own per-code-unit table, filled as characters are met rather than at start-up
 * (classifying all of the BMP by regex takes milliseconds per table). Values fit in 7 bits;
 * the eighth marks an entry as known.
 */
export class LazyTable {
  private readonly table = new Uint8Array(0x10000)

  constructor(private readonly classify: (char: string) => number) {}

  read(code: number): number {
    const entry = this.table[code] ?? 0
    if (entry !== 0) return entry & 0x7f
    const value = this.classify(String.fromCharCode(code)) & 0x7f
    this.table[code] = value | 0x80
    return value
  }
}

/** LazyTable for values of up to 15 bits. */
export class LazyWideTable {
  private readonly table = new Uint16Array(0x10000)

  constructor(private readonly classify: (char: string) => number) {}

  read(code: number): number {
    const entry = this.table[code] ?? 0
    if (entry !== 0) return entry & 0x7fff
    const value = this.classify(String.fromCharCode(code)) & 0x7fff
    this.table[code] = value | 0x8000
    return value
  }
}
