import type { RE2 } from 're2-wasm'
import { WardenError } from '../errors/warden-error.js'
import { isHeapAbort, useRe2 } from './re2-pool.js'
import type { NormalisedSpan, RuleMatcher } from './types.js'

/** Flags a policy may set; `g` and `u` are always added by the engine. */
export const REGEX_FLAGS = 'ims'

/**
 * Each search copies its window into WebAssembly, so the matches read per rule and message are
 * capped; empty matches (skipped, as `matchAll` users do) count too.
 */
export const MAX_REGEX_HITS = 100
/** Code units of text handed to one search: a long message is read window by window. */
const WINDOW = 16_384
/** A match ending this close to a window's end may go on past it: the window grows instead. */
const MARGIN = 4_096

const NO_EMPTY_TEXT =
  'expected a pattern that cannot match empty text, not even at a word edge or a line end'
// Whether an empty match is possible depends only on the characters either side (RE2 has no
// lookaround): these put words, spaces, line ends and both ends of the text side by side.
const EMPTY_PROBES = ['', 'aa  a', 'a\n\n \na', ' \n']
const NO_CAPITALS = 'expected lower-case letters (text is case-folded before matching) or flags: i'
const ENGINE = 'the linear-time engine (RE2)'

/**
 * Runs a policy regex over the normalised (NFKC, lower-cased) text with RE2, whose time is
 * linear in the text for every pattern it accepts. Hits are the non-overlapping matches that
 * `matchAll` would give, up to MAX_REGEX_HITS; only a match longer than MARGIN in a text longer
 * than WINDOW may come out shorter or be missed. Spans are UTF-16 offsets, as JavaScript's.
 */
export function compileRegexMatcher(pattern: string, flags: string): RuleMatcher {
  return {
    findSpans: (normalised) => {
      try {
        return findAllSpans(pattern, flags, replaceLoneSurrogates(normalised))
      } catch (cause) {
        const details = { reason: 'policy regex could not be run', pattern }
        throw new WardenError('WARDEN_INTERNAL', { details, cause })
      }
    },
  }
}

/**
 * Why a policy regex cannot be used, or null when it can. Compiling it leaves it in the shared
 * pool, where the rule's matcher finds it ready.
 */
export function findRegexProblem(pattern: string, flags: string): string | null {
  try {
    new RegExp(pattern, `u${flags}`)
  } catch (err) {
    return `expected a valid JavaScript regular expression (u flag); ${(err as Error).message}`
  }
  if (!flags.includes('i') && hasUpperCaseLiteral(pattern)) return NO_CAPITALS

  let matchesEmpty: boolean
  try {
    matchesEmpty = useRe2(pattern, flags, canMatchEmpty)
  } catch (err) {
    return explainRefusal(err, flags)
  }
  return matchesEmpty ? NO_EMPTY_TEXT : null
}

function canMatchEmpty(regex: RE2): boolean {
  return EMPTY_PROBES.some((probe) => {
    for (let start = 0; start <= probe.length; start++) {
      regex.lastIndex = start
      if (regex.exec(probe)?.[0] === '') return true
    }
    return false
  })
}

function findAllSpans(pattern: string, flags: string, text: string): NormalisedSpan[] {
  const spans: NormalisedSpan[] = []
  let matches = 0
  let position = 0
  let size = WINDOW

  while (position < text.length && matches < MAX_REGEX_HITS) {
    const end = alignToCodePoint(text, Math.min(text.length, position + size))
    const isLast = end === text.length
    const span = searchWindow(pattern, flags, text, position, end)
    if (!span && isLast) break
    if (!span) {
      position = alignToCodePoint(text, end - MARGIN)
      size = WINDOW
      continue
    }
    if (!isLast && span.end > end - MARGIN) {
      size *= 2
      continue
    }

    size = WINDOW
    matches += 1
    if (span.end > span.start) spans.push(span)
    position = span.end > span.start ? span.end : span.start + codePointLength(text, span.start)
  }
  return spans
}

/**
 * The first match at or after `position` in text[position, end), read with the code point
 * before `position` as context so that `^` and `\b` see what precedes the window.
 */
function searchWindow(pattern: string, flags: string, text: string, position: number, end: number) {
  const from = position === 0 ? 0 : alignToCodePoint(text, position - 1)
  const window = text.slice(from, end)
  const contextPoints = from < position ? 1 : 0
  const match = useRe2(pattern, flags, (regex) => {
    regex.lastIndex = contextPoints
    return regex.exec(window)
  })
  if (!match) return null

  // re2-wasm counts `index` (and `lastIndex`) in code points, not UTF-16 units.
  const startInWindow = advanceCodePoints(window, position - from, match.index - contextPoints)
  const start = from + startInWindow
  return { start, end: start + (match[0] ?? '').length }
}

function advanceCodePoints(text: string, offset: number, count: number): number {
  let unit = offset
  for (let point = 0; point < count; point++) unit += codePointLength(text, unit)
  return unit
}

function codePointLength(text: string, unit: number): number {
  return (text.codePointAt(unit) ?? 0) > 0xffff ? 2 : 1
}

/** Moves an offset that falls inside a surrogate pair back to the pair's start. */
function alignToCodePoint(text: string, unit: number): number {
  const isInsidePair = unit > 0 && unit < text.length && codePointLength(text, unit - 1) === 2
  return isInsidePair ? unit - 1 : unit
}

// RE2 reads UTF-8, and a lone surrogate makes re2-wasm miss every match in the text; U+FFFD
// has the same UTF-16 length, so offsets stay valid.
function replaceLoneSurrogates(text: string): string {
  return text.replace(/\p{Cs}/gu, '\ufffd')
}

function explainRefusal(err: unknown, flags: string): string {
  if (isHeapAbort(err)) {
    return `expected a smaller pattern: it does not fit in the memory of ${ENGINE}`
  }
  const message = err instanceof Error ? err.message : String(err)
  const marker = `/gu${flags}: `
  const detail = message.slice(message.lastIndexOf(marker) + marker.length)
  return (
    explainUnsupported(detail) ?? `expected a pattern that ${ENGINE} accepts; it says: ${detail}`
  )
}

/** RE2's terse refusal of a pattern that JavaScript accepts, said in the policy's words. */
function explainUnsupported(detail: string): string | null {
  const quoted = detail.slice(detail.indexOf(': ') + 2)
  if (/\(\?[=!]/.test(detail)) {
    return `expected no lookahead (?= or (?!: lookahead is not supported by ${ENGINE}`
  }
  if (detail.includes('(?<')) {
    const hint = '\\b often does instead'
    return `expected no lookbehind (?<= or (?<!: lookbehind is not supported by ${ENGINE}; ${hint}`
  }
  if (/escape sequence: \\(?:[1-9]|k)/.test(detail)) {
    return `expected no backreferences (\\1, \\k<name>): they are not supported by ${ENGINE}`
  }
  if (detail.startsWith('invalid repetition size')) {
    return `expected repetition counts of at most 1000: ${ENGINE} refuses ${quoted}`
  }
  if (/class range: \\[pP]/.test(detail)) {
    const examples = '\\p{L} or \\p{sc=Han}'
    return `expected a Unicode property that ${ENGINE} knows, such as ${examples}; got ${quoted}`
  }
  return null
}

function hasUpperCaseLiteral(pattern: string): boolean {
  const withoutEscapes = pattern
    .replace(/\\(?:[upP]\{[^}]*\}|c[A-Za-z]|.)/gu, '')
    .replace(/\(\?<[^=!][^>]*>/g, '')
  return /\p{Lu}/u.test(withoutEscapes)
}
