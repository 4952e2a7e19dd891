import { WardenError } from '../errors/warden-error.js'
import {
  classifyCodePoint,
  readCodePoint,
  readCodePointBefore,
  SKIP,
} from './automaton/char-class.js'
import { buildDictionary } from './automaton/keyword-dictionary.js'
import { KeywordScanner, type ScanSettings } from './automaton/keyword-scanner.js'
import type { KeywordMatchOptions, KeywordSpan } from './automaton/keyword-types.js'
import { TextRuns } from './automaton/text-runs.js'
import { normaliseText } from './normalise-text.js'
import type { RuleMatcher } from './types.js'

export type {
  KeywordBoundaries,
  KeywordMatchOptions,
  KeywordSpan,
} from './automaton/keyword-types.js'

/** A keyword rule's matcher; its spans say whether separators or repeats were skipped. */
export interface KeywordMatcher extends RuleMatcher {
  findSpans(normalised: string): KeywordSpan[]
}

/** `赌@#￥%博` skips four code points; five or more stops reading as one word. */
export const DEFAULT_MAX_GAP = 4
const BOUNDARIES = new Set(['auto', 'none', 'word'])
const MAX_GAP_LIMIT = 64
// Matching is synchronous and never re-entered, so every matcher can share one set of buffers.
const sharedRuns = new TextRuns()

/** A keyword as it is matched: normalised like the text, surrounding blanks dropped. */
export function prepareKeyword(raw: string): string {
  return normaliseText(raw).text.trim()
}

/**
 * Finds every occurrence of every keyword in normalised text, overlapping and nested ones
 * included, in one pass of an Aho–Corasick automaton whatever the number of keywords.
 * Separators, punctuation and emoji between keyword characters are skipped up to `maxGap`
 * code points, as are surplus repeats of a CJK character (`内内幕幕消息` reads 内幕消息);
 * such hits are marked `gapped`, and `maybeWordBreak` when the gap may be an ordinary break
 * between two words — an engine should then ask for review rather than flag. A keyword that
 * begins or ends with a separator or emoji (`c++`, `💰`) is matched only as written.
 */
export function compileKeywordMatcher(
  keywords: readonly string[],
  options: KeywordMatchOptions = {},
): KeywordMatcher {
  const settings = readSettings(options)
  const prepared = [...new Set(keywords.map(prepareKeyword))].filter((keyword) => keyword !== '')
  const literal = prepared.filter(hasSeparatorEdge)
  const gappable = prepared.filter((keyword) => !hasSeparatorEdge(keyword))

  const scanners: KeywordScanner[] = []
  if (gappable.length > 0) {
    const mode = { skipSeparators: true, collapseRepeats: true }
    scanners.push(new KeywordScanner(buildDictionary(gappable, true, true), mode, settings))
  }
  if (literal.length > 0) {
    const mode = { skipSeparators: false, collapseRepeats: false }
    scanners.push(new KeywordScanner(buildDictionary(literal, false, false), mode, settings))
  }

  return {
    findSpans(normalised: string): KeywordSpan[] {
      const spans: KeywordSpan[] = []
      for (const scanner of scanners) scanner.collect(normalised, sharedRuns, spans)
      return spans
    },
  }
}

function readSettings(options: KeywordMatchOptions): ScanSettings {
  const boundaries = options.boundaries ?? 'auto'
  const maxGap = options.maxGap ?? DEFAULT_MAX_GAP
  if (!BOUNDARIES.has(boundaries)) {
    throw new WardenError('WARDEN_POLICY_INVALID', {
      message: `keyword boundaries must be auto, none or word; got ${String(boundaries)}`,
    })
  }
  if (!Number.isInteger(maxGap) || maxGap < 0 || maxGap > MAX_GAP_LIMIT) {
    throw new WardenError('WARDEN_POLICY_INVALID', {
      message: `keyword max gap must be an integer from 0 to ${MAX_GAP_LIMIT}; got ${maxGap}`,
    })
  }
  return { boundaries, maxGap }
}

function hasSeparatorEdge(keyword: string): boolean {
  const first = readCodePoint(keyword, 0)
  const last = readCodePointBefore(keyword, keyword.length)
  return ((classifyCodePoint(first) | classifyCodePoint(last)) & SKIP) !== 0
}
