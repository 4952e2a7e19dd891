import type { DictGroup, DictLike } from 'opencc-js/t2cn'

/**
 * OpenCC's tw → cn conversion, read as one-character tables, so that a run of Han text can be
 * simplified with a look-up per character. OpenCC normalises compatibility ideographs, cuts the
 * text at its phrases, then runs two stages (Taiwan variants, then traditional → simplified),
 * each replacing the longest key that matches. A key of two or more characters can only match
 * where the text holds its first two characters side by side: where no such pair occurs, every
 * stage replaces character by character, which is what these tables give.
 */
export interface OpenccTables {
  /** Per BMP character, its simplified code point (0: unchanged; -1: only in context). */
  single: Int32Array
  /** Per BMP character, what it is after normalisation, and after the first stage. */
  normalised: Uint16Array
  staged: Uint16Array
  /** Character pairs that start a phrase key: in normalised text, and after the first stage. */
  normalisedPairs: PairSet
  stagedPairs: PairSet
}

/** Pairs of BMP characters, with a table of first characters to spare most set queries. */
export interface PairSet {
  firsts: Uint8Array
  pairs: Set<number>
}

export interface OpenccConfig {
  normalizationChain?: readonly DictGroup[]
  segmentation: DictLike | DictGroup
  conversionChain: readonly DictGroup[]
}

interface Stage {
  singles: Map<number, string>
  pairs: Array<[number, number]>
}

/** Builds the tables for `config`, with `fold` applied to each final character of `folded`. */
export function buildOpenccTables(
  config: OpenccConfig,
  fold: (char: string) => string,
  folded: Iterable<string>,
): OpenccTables {
  const normalisation = (config.normalizationChain ?? []).map(readStage)
  const segmentation = readStage(readSegmentationGroup(config.segmentation))
  const [first, ...rest] = config.conversionChain.map(readStage)
  const tables: OpenccTables = {
    single: new Int32Array(0x10000),
    normalised: new Uint16Array(0x10000),
    staged: new Uint16Array(0x10000),
    normalisedPairs: collectPairs([...normalisation, segmentation, ...(first ? [first] : [])]),
    stagedPairs: collectPairs(rest),
  }
  const stages = [...normalisation, ...(first ? [first] : []), ...rest]
  const candidates = new Set<number>(Array.from(folded, (char) => char.charCodeAt(0)))
  for (const stage of stages) for (const code of stage.singles.keys()) candidates.add(code)

  for (let code = 0; code < 0x10000; code++) {
    tables.normalised[code] = code
    tables.staged[code] = code
  }
  // The pair tables read the text after the first stage only: a longer chain stays with OpenCC.
  if (rest.length > 1) tables.single.fill(-1)
  else
    for (const code of candidates) fillCharacter(tables, code, { normalisation, first, rest, fold })
  return tables
}

interface Chain {
  normalisation: Stage[]
  first: Stage | undefined
  rest: Stage[]
  fold: (char: string) => string
}

function fillCharacter(tables: OpenccTables, code: number, chain: Chain) {
  if (code >= 0xd800 && code <= 0xdfff) return
  let current: number | null = code
  for (const stage of chain.normalisation) current = applyStage(stage, current, toBmpCode)
  if (current !== null) tables.normalised[code] = current
  if (chain.first !== undefined) current = applyStage(chain.first, current, toBmpCode)
  if (current !== null) tables.staged[code] = current
  // The last stage may end beyond the BMP ('僤' → U+2B8B8): only lookups need BMP codes.
  for (const stage of chain.rest) current = applyStage(stage, current, toCodePoint)
  const folded = current === null ? null : toCodePoint(chain.fold(String.fromCodePoint(current)))
  if (folded === null) tables.single[code] = -1
  else tables.single[code] = folded === code ? 0 : folded
}

// Null once a character turned into anything but one character: context decides then.
function applyStage(
  stage: Stage,
  code: number | null,
  read: (text: string) => number | null,
): number | null {
  if (code === null) return null
  const value = stage.singles.get(code)
  return value === undefined ? code : read(value)
}

function toBmpCode(text: string): number | null {
  if (text.length !== 1) return null
  const code = text.charCodeAt(0)
  return code >= 0xd800 && code <= 0xdfff ? null : code
}

function toCodePoint(text: string): number | null {
  const code = text.codePointAt(0) ?? 0
  return text.length === (code > 0xffff ? 2 : 1) && (code < 0xd800 || code > 0xdfff) ? code : null
}

function readSegmentationGroup(segmentation: DictLike | DictGroup): DictGroup {
  if (Array.isArray(segmentation) && segmentation.every((dict) => typeof dict === 'string')) {
    return segmentation as DictGroup
  }
  return [segmentation as DictLike]
}

/** One trie's worth of dictionaries; the first dictionary of a group wins, as in OpenCC. */
function readStage(group: DictGroup): Stage {
  const stage: Stage = { singles: new Map(), pairs: [] }
  for (const dict of [...group].reverse()) {
    const entries: ReadonlyArray<readonly string[]> =
      typeof dict === 'string' ? dict.split('|').map((line) => line.split(' ')) : dict
    for (const [key = '', value = ''] of entries) {
      const codes = Array.from(key, (char) => char.codePointAt(0) ?? 0)
      if (codes.length === 1) stage.singles.set(codes[0] ?? 0, value)
      else if (codes.length > 1) stage.pairs.push([codes[0] ?? 0, codes[1] ?? 0])
    }
  }
  return stage
}

function collectPairs(stages: Stage[]): PairSet {
  const set: PairSet = { firsts: new Uint8Array(0x10000), pairs: new Set() }
  for (const stage of stages) {
    for (const [first, second] of stage.pairs) {
      // A pair with a character beyond the BMP never meets the BMP-only runs these serve.
      if (first > 0xffff || second > 0xffff) continue
      set.firsts[first] = 1
      set.pairs.add(first * 0x10000 + second)
    }
  }
  return set
}

/** True if `first` then `second` begin some phrase key. */
export function startsPhrase(set: PairSet, first: number, second: number): boolean {
  return set.firsts[first] === 1 && set.pairs.has(first * 0x10000 + second)
}
