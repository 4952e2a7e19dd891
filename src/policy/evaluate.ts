import { CONTACT_WORDS } from './detectors/contact-words.js'
import type { Detector } from './detectors/detector-hit.js'
import { isTextDetector, TEXT_DETECTORS } from './detectors/detector-registry.js'
import { type Finding, pairNearFindings } from './detectors/pair-near-findings.js'
import { compileKeywordMatcher } from './keyword-matcher.js'
import {
  listStepsForSpan,
  mapSpanToOriginal,
  type NormalisedText,
  normaliseText,
} from './normalise-text.js'
import type { PolicyDefinition, RuleDefinition, RuleMatch } from './policy-schema.js'
import { compileRegexMatcher } from './regex-matcher.js'
import { RegexPrefilter } from './regex-prefilter.js'
import { compileExceptionFilter, type ExceptionFilter } from './rule-exceptions.js'
import { isRuleInScope } from './rule-scope.js'
import type {
  NormalisedSpan,
  PolicyEngine,
  PolicyHit,
  PolicyInput,
  RuleMatcher,
  Verdict,
} from './types.js'

/** One message as every rule reads it: detectors take the original, matchers the normalised. */
interface MessageText {
  original: string
  normalised: NormalisedText
}

type FindMatches = (text: MessageText) => Finding[]

interface CompiledRule {
  rule: RuleDefinition
  find: FindMatches
  except: ExceptionFilter
  /** The prefilter literals one of which the text must hold for the rule to match, or null. */
  literals: number[] | null
  /** True when the rule's scope and excepted users can never leave a message out. */
  everywhere: boolean
}

/**
 * Every enabled rule runs over the message and each match is reported at its span in the
 * original text. A hit's verdict is the lower of the rule's and the match's own: a detector
 * that doubts its match (a failed checksum) makes even a FLAG rule's hit a REVIEW. A rule runs
 * only on messages in its scope and not from its excepted users; a match inside one of its
 * allow-listed phrases is dropped.
 */
export function createPolicyEngine(policy: PolicyDefinition, version: string): PolicyEngine {
  const prefilter = new RegexPrefilter()
  const rules = policy.rules
    .filter((rule) => rule.enabled)
    .map((rule) => compileRule(rule, prefilter))
  const ruleSet = { all: rules, ungated: rules.filter(({ literals }) => literals === null) }

  return Object.freeze({
    version,
    ruleCount: rules.length,
    evaluate: (input: PolicyInput) => evaluateRules(ruleSet, prefilter, input),
    listRules: () =>
      rules.map(({ rule }) => ({
        id: rule.id,
        version: rule.version,
        description: rule.description,
        examples: { hit: [...rule.examples.hit], miss: [...rule.examples.miss] },
      })),
  })
}

function compileRule(rule: RuleDefinition, prefilter: RegexPrefilter): CompiledRule {
  const { match, scope, exceptions } = rule
  // A regex rule's own literals are checked in the rule loop, before any call is made.
  const literals = match.kind === 'regex' ? prefilter.register(match.pattern, match.flags) : null
  const find =
    match.kind === 'regex'
      ? findWith(compileRegexMatcher(match.pattern, match.flags))
      : compileFinder(match, prefilter)
  const scoped = Object.values(scope).some((list) => list !== undefined)
  return {
    rule,
    find,
    except: compileExceptionFilter(exceptions.phrases),
    literals,
    everywhere: !scoped && exceptions.users.length === 0,
  }
}

function compileFinder(match: RuleMatch, prefilter: RegexPrefilter): FindMatches {
  switch (match.kind) {
    case 'keywords':
      return findWith(compileKeywordMatcher(match.keywords))
    case 'regex':
      return compileRegexFinder(match.pattern, match.flags, prefilter)
    case 'detector':
      return isTextDetector(match.detector)
        ? detectWith(TEXT_DETECTORS[match.detector])
        : findWith(compileKeywordMatcher(CONTACT_WORDS))
    case 'proximity': {
      const [findFirst, findSecond] = match.of.map((side) => compileFinder(side, prefilter)) as [
        FindMatches,
        FindMatches,
      ]
      return (text) =>
        pairNearFindings(text.original, findFirst(text), findSecond(text), match.within)
    }
  }
}

/** A regex runs only on text holding one of the literals it cannot match without. */
function compileRegexFinder(pattern: string, flags: string, prefilter: RegexPrefilter) {
  const find = findWith(compileRegexMatcher(pattern, flags))
  const literals = prefilter.register(pattern, flags)
  if (literals === null) return find
  return (text: MessageText) =>
    prefilter.holdsAny(text.normalised.text, literals) ? find(text) : NO_FINDINGS
}

/** What the keyword matcher adds to a span when a skipped gap may be a real word break. */
type MaybeBrokenSpan = NormalisedSpan & { maybeWordBreak?: boolean }

/**
 * What a finder returns for nothing found, shared: most rules find nothing in most messages.
 * Every finder's array, this one included, holds objects by V8's reckoning (an empty literal
 * would hold small integers, a mapped one may have holes): the rule loop then reads one kind of
 * array and is not recompiled as each new kind turns up while a process warms up.
 */
const NO_FINDINGS: Finding[] = createFindings()

function createFindings(): Finding[] {
  const findings: Finding[] = [{ start: 0, end: 0, normalised: '', verdict: 'FLAG' }]
  findings.pop()
  return findings
}

function findWith(matcher: RuleMatcher): FindMatches {
  return ({ normalised }) => {
    const spans = matcher.findSpans(normalised.text)
    if (spans.length === 0) return NO_FINDINGS
    const findings = createFindings()
    for (const span of spans as MaybeBrokenSpan[]) {
      const { start, end } = mapSpanToOriginal(normalised, span)
      const steps = listStepsForSpan(normalised, span)
      // Every finding has one shape, its optional fields undefined: adding them one by one,
      // or spreading the span into a literal, costs more than the rest of a hit.
      findings.push({
        start,
        end,
        normalised: normalised.text.slice(span.start, span.end),
        verdict: span.maybeWordBreak ? 'REVIEW' : 'FLAG',
        reason: span.maybeWordBreak ? 'keyword read across what may be a word break' : undefined,
        steps: steps.length > 0 ? steps : undefined,
      })
    }
    return findings
  }
}

function detectWith(detect: Detector): FindMatches {
  return ({ original }) => {
    const found = detect(original)
    if (found.length === 0) return NO_FINDINGS
    const findings = createFindings()
    for (const { start, end, verdict, reason, value } of found) {
      findings.push({ start, end, normalised: value, verdict, reason, steps: undefined })
    }
    return findings
  }
}

/** A policy's rules, and those of them that need no prefilter literal, in policy order. */
interface RuleSet {
  all: CompiledRule[]
  ungated: CompiledRule[]
}

function evaluateRules(
  ruleSet: RuleSet,
  prefilter: RegexPrefilter,
  input: PolicyInput,
): PolicyHit[] {
  // Callers in plain JS may hand over null for media messages; that is no text, not an error.
  const original = typeof input.text === 'string' ? input.text : ''
  if (original === '') return []

  const text = { original, normalised: normaliseText(original) }
  const hits: PolicyHit[] = []
  // Most messages hold no literal of any regex rule: the loop then skips those rules at once.
  const gated = ruleSet.ungated.length < ruleSet.all.length
  const rules = gated && prefilter.holdsSome(text.normalised.text) ? ruleSet.all : ruleSet.ungated
  for (const { rule, find, except, literals, everywhere } of rules) {
    if (literals !== null && !prefilter.holdsAny(text.normalised.text, literals)) continue
    if (!everywhere && !isRuleInScope(rule.scope, rule.exceptions, input)) continue
    // Most rules find nothing in most messages: spare them the bookkeeping below.
    const findings = find(text)
    if (findings.length === 0) continue

    const kept = except(text.normalised, findings)
    if (kept.length === 1) hits.push(createHit(rule, original, kept[0] as Finding))
    else if (kept.length > 1) addHitsBySpan(hits, rule, original, kept)
  }

  return hits.length > 1 ? hits.sort((a, b) => a.start - b.start || a.end - b.end) : hits
}

/** One hit per span and rule; where two readings of a span disagree, the sure one counts. */
function addHitsBySpan(
  hits: PolicyHit[],
  rule: RuleDefinition,
  original: string,
  findings: Finding[],
): void {
  const bySpan = new Map<string, PolicyHit>()
  for (const finding of findings) {
    const key = `${finding.start}:${finding.end}`
    const seen = bySpan.get(key)
    if (seen && (seen.verdict === 'FLAG' || finding.verdict === 'REVIEW')) continue

    bySpan.set(key, createHit(rule, original, finding))
  }
  for (const hit of bySpan.values()) hits.push(hit)
}

function createHit(rule: RuleDefinition, original: string, finding: Finding): PolicyHit {
  const hit: PolicyHit = {
    ruleId: rule.id,
    ruleVersion: rule.version,
    description: rule.description,
    severity: rule.severity,
    verdict: lowerVerdict(rule.verdict, finding.verdict),
    actions: rule.actions.slice(),
    escalateTo: rule.escalateTo.slice(),
    matchedText: original.slice(finding.start, finding.end),
    start: finding.start,
    end: finding.end,
    normalised: finding.normalised,
  }
  if (finding.reason !== undefined) hit.reason = finding.reason
  if (finding.steps !== undefined) hit.steps = finding.steps
  if (rule.threshold !== undefined) hit.threshold = rule.threshold
  return hit
}

function lowerVerdict(a: Verdict, b: Verdict): Verdict {
  return a === 'REVIEW' || b === 'REVIEW' ? 'REVIEW' : 'FLAG'
}
