import { classifyCodePoint, FREE, SKIP, UNSPACED } from './char-class.js'
import { collapseSpaces } from './hit-checks.js'
import type { KeywordVariant } from './keyword-types.js'
import type { Alphabet } from './text-runs.js'

/**
 * Code points of a dictionary numbered 1..size, with a flat table for the BMP ones. The table
 * is read at every character of every message, beside the automaton and the normaliser's own
 * tables: it holds 16-bit symbols, half the cache lines, unless a dictionary has more symbols.
 */
export class DictionaryAlphabet implements Alphabet {
  private readonly astral = new Map<number, number>()
  private bmp: Uint16Array | Int32Array = new Uint16Array(0)
  size = 0

  symbolOf(codePoint: number): number {
    if (codePoint < this.bmp.length) return this.bmp[codePoint] as number
    return codePoint > 0xffff ? (this.astral.get(codePoint) ?? 0) : 0
  }

  add(codePoint: number): number {
    const known = this.symbolOf(codePoint)
    if (known !== 0) return known
    const symbol = ++this.size
    if (codePoint > 0xffff) {
      this.astral.set(codePoint, symbol)
      return symbol
    }
    if (codePoint >= this.bmp.length) this.growTo(codePoint + 1, symbol)
    else if (symbol > 0xffff && this.bmp instanceof Uint16Array) this.growTo(0, symbol)
    this.bmp[codePoint] = symbol
    return symbol
  }

  private growTo(length: number, symbol: number): void {
    const size = Math.max(length, this.bmp.length, Math.min(0x10000, this.bmp.length * 2))
    const wide = symbol > 0xffff || this.bmp instanceof Int32Array
    const grown = wide ? new Int32Array(size) : new Uint16Array(size)
    grown.set(this.bmp)
    this.bmp = grown
  }
}

/** Distinct symbol sequences, each with the keyword variants that share it. */
export interface KeywordDictionary {
  alphabet: DictionaryAlphabet
  patterns: number[][]
  variants: KeywordVariant[][]
}

/**
 * Turns prepared keywords into patterns. With `skipSeparators`, a keyword's own separators
 * become allowed gaps (`insider tip` also reads `insider-tip`); with `collapseRepeats`, a
 * repeated CJK character is one symbol with a count, the way the text is read.
 */
export function buildDictionary(
  keywords: readonly string[],
  skipSeparators: boolean,
  collapseRepeats: boolean,
): KeywordDictionary {
  const dictionary: KeywordDictionary = {
    alphabet: new DictionaryAlphabet(),
    patterns: [],
    variants: [],
  }
  const patternIndex = new Map<string, number>()

  for (const keyword of keywords) {
    const { chars, ownGaps } = splitKeyword(keyword, skipSeparators)
    if (chars.length === 0) continue

    const symbols: number[] = []
    const counts: number[] = []
    chars.forEach((codePoint, i) => {
      const repeats = collapseRepeats && codePoint === chars[i - 1]
      if (repeats && classifyCodePoint(codePoint) & UNSPACED) {
        counts[counts.length - 1] = (counts.at(-1) as number) + 1
        return
      }
      symbols.push(dictionary.alphabet.add(codePoint))
      counts.push(1)
    })

    const key = symbols.join(',')
    let index = patternIndex.get(key)
    if (index === undefined) {
      index = dictionary.patterns.push(symbols) - 1
      dictionary.variants.push([])
      patternIndex.set(key, index)
    }
    addVariant(dictionary.variants[index] as KeywordVariant[], keyword, chars, counts, ownGaps)
  }
  return dictionary
}

function splitKeyword(keyword: string, skipSeparators: boolean) {
  const chars: number[] = []
  const ownGaps: number[] = []
  let gap = 0
  let lastSkipped = -1
  for (const char of keyword) {
    const codePoint = char.codePointAt(0) as number
    const flags = classifyCodePoint(codePoint)
    if (skipSeparators && flags & SKIP) {
      if (!(flags & FREE) && codePoint !== lastSkipped) gap++
      lastSkipped = codePoint
      continue
    }
    chars.push(codePoint)
    ownGaps.push(gap)
    gap = 0
    lastSkipped = -1
  }
  return { chars, ownGaps }
}

function addVariant(
  variants: KeywordVariant[],
  keyword: string,
  chars: number[],
  counts: number[],
  ownGaps: number[],
): void {
  const spaced = ownGaps.some((gap) => gap > 0) ? ownGaps : null
  const same = variants.find((variant) => variant.counts.join(',') === counts.join(','))
  if (same === undefined) {
    variants.push({
      counts,
      length: chars.length,
      texts: [collapseSpaces(keyword)],
      ownGaps: spaced,
      startFlags: classifyCodePoint(chars[0] as number),
      endFlags: classifyCodePoint(chars.at(-1) as number),
    })
    return
  }

  if (!same.texts.includes(collapseSpaces(keyword))) same.texts.push(collapseSpaces(keyword))
  if (spaced === null) return
  same.ownGaps = spaced.map((gap, i) => Math.max(gap, same.ownGaps?.[i] ?? 0))
}
