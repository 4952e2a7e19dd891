import type { Verdict } from '../types.js'

/** A match of any matcher, as JS string offsets into the original text. */
export interface Finding {
  start: number
  end: number
  /** What matched, as the matcher saw it: normalised text, or a detector's value. */
  normalised: string
  verdict: Verdict
  reason?: string
  /** The normalisation steps that changed the matched text (keyword and regex matches). */
  steps?: string[]
}

interface Pair {
  left: Finding
  right: Finding
  gap: number
}

/** Findings per side looked at; beyond this a message is flagged many times over anyway. */
const MAX_SIDE_FINDINGS = 200
// Only letters and digits count towards `within`: spaces, punctuation, emoji and invisible
// characters are free, or padding (`VX 👉👉👉👉👉 lucky_2024`) would pull a pair apart.
const COUNTED = /[\p{L}\p{N}]/u

/**
 * Pairs a finding of one side with a finding of the other when they do not overlap and at most
 * `within` letters or digits lie between them, in either order. Sure pairs (both sides FLAG)
 * are taken first, then the closest, then the wider (`jia wei xin` over `wei xin`); a pair
 * overlapping one already taken is dropped, so each stretch of text is reported once.
 */
export function pairNearFindings(
  original: string,
  firsts: Finding[],
  seconds: Finding[],
  within: number,
): Finding[] {
  if (firsts.length === 0 || seconds.length === 0) return []
  const visibleBefore = countVisibleBefore(original)

  const pairs: Pair[] = []
  for (const first of firsts.slice(0, MAX_SIDE_FINDINGS)) {
    for (const second of seconds.slice(0, MAX_SIDE_FINDINGS)) {
      const [left, right] = first.start <= second.start ? [first, second] : [second, first]
      if (left.end > right.start) continue
      const gap = (visibleBefore[right.start] ?? 0) - (visibleBefore[left.end] ?? 0)
      if (gap <= within) pairs.push({ left, right, gap })
    }
  }
  pairs.sort((a, b) => rankVerdict(a) - rankVerdict(b) || a.gap - b.gap || measure(b) - measure(a))

  const taken: Pair[] = []
  for (const pair of pairs) {
    if (!taken.some((other) => doPairsOverlap(pair, other))) taken.push(pair)
  }
  return taken.map(describePair).sort((a, b) => a.start - b.start)
}

/** For each UTF-16 offset, how many letters and digits come before it. */
function countVisibleBefore(text: string): Int32Array {
  const counts = new Int32Array(text.length + 1)
  let visible = 0
  for (let at = 0; at < text.length; at++) {
    counts[at] = visible
    const code = text.charCodeAt(at)
    const isLowSurrogate = code >= 0xdc00 && code <= 0xdfff && at > 0
    const continuesPair = isLowSurrogate && (text.codePointAt(at - 1) ?? 0) > 0xffff
    if (!continuesPair && COUNTED.test(String.fromCodePoint(text.codePointAt(at) ?? 0))) {
      visible++
    }
  }
  counts[text.length] = visible
  return counts
}

function measure(pair: Pair): number {
  return pair.right.end - pair.left.start
}

function rankVerdict(pair: Pair): number {
  return pair.left.verdict === 'FLAG' && pair.right.verdict === 'FLAG' ? 0 : 1
}

function doPairsOverlap(a: Pair, b: Pair): boolean {
  return a.left.start < b.right.end && b.left.start < a.right.end
}

function describePair({ left, right, gap }: Pair): Finding {
  const verdict = left.verdict === 'REVIEW' || right.verdict === 'REVIEW' ? 'REVIEW' : 'FLAG'
  const unit = gap === 1 ? 'character' : 'characters'
  return {
    start: left.start,
    end: right.end,
    normalised: `${left.normalised} … ${right.normalised}`,
    verdict,
    reason: `${labelFinding(left)} and ${labelFinding(right)}, ${gap} ${unit} apart`,
  }
}

function labelFinding(finding: Finding): string {
  return finding.reason ?? `"${finding.normalised}"`
}
