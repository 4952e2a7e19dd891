/**
 * One byte per BMP code unit saying which steps could change that character, so a message is
 * scanned once and every step it cannot concern is skipped (a regex per step would cost more
 * than most steps). Code units of astral characters carry every flag: those steps look closer.
 */
export const FLAGS = {
  ignorable: 1,
  foldsCase: 2,
  latinOrMark: 4,
  lookAlike: 8,
  convertible: 16,
  digit: 32,
} as const

const EVERY_FLAG = 63
const TABLE = new Uint8Array(0x10000)
// Every BMP character but the surrogates, as the haystack a pattern marks its characters in.
const BMP = Array.from({ length: 0xf800 }, (_, at) =>
  String.fromCharCode(at < 0xd800 ? at : at + 0x800),
).join('')

/** Sets `flag` on the BMP characters listed, or on every one matching a one-character class. */
export function markCharacters(chars: RegExp | Iterable<string>, flag: number) {
  const list =
    chars instanceof RegExp
      ? Array.from(BMP.matchAll(globalise(chars)), (match) => match[0])
      : chars
  for (const char of list) {
    const code = char.charCodeAt(0)
    TABLE[code] = (TABLE[code] ?? 0) | flag
  }
}

function globalise(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`)
}

/** The union of the flags of every code unit of `text`. */
export function readFlags(text: string): number {
  let flags = 0
  for (let i = 0; i < text.length; i++) flags |= readUnitFlags(text.charCodeAt(i))
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
