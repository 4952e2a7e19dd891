import type { RuleMatcher } from './types.js'

/** Flags a policy may set; `g` and `u` are always added by the engine. */
export const REGEX_FLAGS = 'ims'

interface Quantifier {
  repeats: boolean
  unbounded: boolean
  next: number
}

interface GroupFrame {
  repeats: boolean
  unbounded: boolean
}

/**
 * Runs a policy regex over the normalised (NFKC, lower-cased) text.
 * TODO(#3): move regex rules to a linear-time engine (re2) so an admin regex can never hang
 * the service; until then findRegexProblem refuses the usual catastrophic shapes at load time.
 */
export function compileRegexMatcher(pattern: string, flags: string): RuleMatcher {
  const regex = new RegExp(pattern, `gu${flags}`)
  return {
    findSpans: (text) =>
      Array.from(text.matchAll(regex), (match) => ({
        start: match.index,
        end: match.index + match[0].length,
      })).filter((span) => span.end > span.start),
  }
}

/** Why a policy regex cannot be used, or null when it can. */
export function findRegexProblem(pattern: string, flags: string): string | null {
  let regex: RegExp
  try {
    regex = new RegExp(pattern, `u${flags}`)
  } catch (err) {
    return `expected a valid JavaScript regular expression (u flag); ${(err as Error).message}`
  }
  if (regex.test('')) return 'expected a pattern that cannot match empty text'
  if (!flags.includes('i') && hasUpperCaseLiteral(pattern)) {
    return 'expected lower-case letters (text is case-folded before matching) or flags: i'
  }
  return findBacktrackingRisk(pattern)
}

/**
 * A static check, not a proof. It refuses backreferences, and a repeated group whose content
 * also repeats when either repetition is unbounded — the shape of `(a+)+$`, which backtracks
 * exponentially. Overlapping alternatives such as `(a|a)+` still pass; issue #3 removes the
 * whole class by moving to a linear-time engine.
 */
function findBacktrackingRisk(pattern: string): string | null {
  const groups: GroupFrame[] = [{ repeats: false, unbounded: false }]
  let i = 0

  while (i < pattern.length) {
    const char = pattern[i]
    const next = pattern[i + 1] ?? ''
    if (char === '\\' && (/[1-9]/.test(next) || next === 'k')) {
      return 'expected no backreferences (\\1, \\k<name>): they can backtrack without bound'
    }
    if (char === '(') {
      groups.push({ repeats: false, unbounded: false })
      i = skipGroupOpening(pattern, i)
      continue
    }

    const inner = char === ')' ? groups.pop() : undefined
    const atomEnd = findAtomEnd(pattern, i)
    const quantifier = readQuantifier(pattern, atomEnd)
    const outer = groups.at(-1)
    if (outer === undefined) return null
    if (inner && isNestedRepetition(inner, quantifier)) {
      return 'expected no nested quantifiers such as (a+)+: they backtrack catastrophically'
    }
    outer.repeats ||= quantifier.repeats || (inner?.repeats ?? false)
    outer.unbounded ||= quantifier.unbounded || (inner?.unbounded ?? false)
    i = quantifier.next
  }

  return null
}

function isNestedRepetition(inner: GroupFrame, quantifier: Quantifier): boolean {
  return (inner.unbounded && quantifier.repeats) || (inner.repeats && quantifier.unbounded)
}

function skipGroupOpening(pattern: string, i: number): number {
  if (pattern[i + 1] !== '?') return i + 1
  if (pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) return i + 4
  if (pattern[i + 2] === '<') return pattern.indexOf('>', i) + 1
  return i + 3
}

/** The index just after the atom at i: an escape, a class, or a single character. */
function findAtomEnd(pattern: string, i: number): number {
  if (pattern[i] === '\\') {
    const hasBraces = /[upP]/.test(pattern[i + 1] ?? '') && pattern[i + 2] === '{'
    return hasBraces ? pattern.indexOf('}', i) + 1 : i + 2
  }
  if (pattern[i] !== '[') return i + 1

  let j = i + 1
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1
  return j + 1
}

function readQuantifier(pattern: string, i: number): Quantifier {
  const braces = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 24))
  const char = pattern[i]
  let quantifier: Quantifier = { repeats: false, unbounded: false, next: i }

  if (char === '*' || char === '+') quantifier = { repeats: true, unbounded: true, next: i + 1 }
  if (char === '?') quantifier = { repeats: false, unbounded: false, next: i + 1 }
  if (braces) {
    const max = braces[2] === undefined ? Number(braces[1]) : Number(braces[3] || Infinity)
    quantifier = { repeats: max > 1, unbounded: max === Infinity, next: i + braces[0].length }
  }

  const isLazy = quantifier.next > i && pattern[quantifier.next] === '?'
  return isLazy ? { ...quantifier, next: quantifier.next + 1 } : quantifier
}

function hasUpperCaseLiteral(pattern: string): boolean {
  const withoutEscapes = pattern
    .replace(/\\(?:[upP]\{[^}]*\}|c[A-Za-z]|.)/gu, '')
    .replace(/\(\?<[^=!][^>]*>/g, '')
  return /\p{Lu}/u.test(withoutEscapes)
}
