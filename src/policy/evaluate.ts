import { compileKeywordMatcher } from './keyword-matcher.js'
import { mapSpanToOriginal, normaliseText } from './normalise-text.js'
import type { PolicyDefinition, RuleDefinition } from './policy-schema.js'
import { compileRegexMatcher } from './regex-matcher.js'
import type { PolicyEngine, PolicyHit, PolicyInput, RuleMatcher } from './types.js'

interface CompiledRule {
  rule: RuleDefinition
  matcher: RuleMatcher
}

/**
 * The first-cut engine: every enabled rule's matcher runs over the normalised text and each
 * span is mapped back to the original. A later engine only has to honour PolicyEngine.
 */
export function createPolicyEngine(policy: PolicyDefinition, version: string): PolicyEngine {
  const rules = policy.rules
    .filter((rule) => rule.enabled)
    .map((rule) => ({ rule, matcher: compileRuleMatcher(rule) }))

  return Object.freeze({
    version,
    ruleCount: rules.length,
    evaluate: (input: PolicyInput) => evaluateRules(rules, input),
  })
}

function compileRuleMatcher(rule: RuleDefinition): RuleMatcher {
  return rule.match.kind === 'keywords'
    ? compileKeywordMatcher(rule.match.keywords)
    : compileRegexMatcher(rule.match.pattern, rule.match.flags)
}

function evaluateRules(rules: CompiledRule[], input: PolicyInput): PolicyHit[] {
  // Callers in plain JS may hand over null for media messages; that is no text, not an error.
  const original = typeof input.text === 'string' ? input.text : ''
  if (original === '') return []

  const normalised = normaliseText(original)
  const hits: PolicyHit[] = []
  for (const { rule, matcher } of rules) {
    const seen = new Set<string>()
    for (const span of matcher.findSpans(normalised.text)) {
      const { start, end } = mapSpanToOriginal(normalised, span)
      const key = `${start}:${end}`
      if (seen.has(key)) continue

      seen.add(key)
      const matched = normalised.text.slice(span.start, span.end)
      hits.push(createHit(rule, original.slice(start, end), start, end, matched))
    }
  }

  return hits.sort((a, b) => a.start - b.start || a.end - b.end)
}

function createHit(
  rule: RuleDefinition,
  matchedText: string,
  start: number,
  end: number,
  normalised: string,
): PolicyHit {
  return {
    ruleId: rule.id,
    ruleVersion: rule.version,
    description: rule.description,
    severity: rule.severity,
    verdict: rule.verdict,
    actions: [...rule.actions],
    escalateTo: [...rule.escalateTo],
    matchedText,
    start,
    end,
    normalised,
  }
}
