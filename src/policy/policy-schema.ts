import { type Fields, PolicyChecker, type PolicyIssue, type PolicyPath } from './policy-checker.js'
import { type RuleDefinition, readRule } from './rule-schema.js'

export type { MatcherDefinition, RuleMatch } from './matcher-schema.js'
export type { PolicyIssue, PolicyPath } from './policy-checker.js'
export type { RuleDefinition, RuleExamples } from './rule-schema.js'

export interface PolicyDefinition {
  rules: RuleDefinition[]
}

export interface PolicyValidation {
  policy: PolicyDefinition
  issues: PolicyIssue[]
}

const ROOT_FIELDS = ['rules', 'escalation']
const ESCALATION_FIELDS = ['default']

/** Checks a policy (YAML already turned into plain values) and fills in the defaults. */
export function validatePolicy(value: unknown): PolicyValidation {
  const check = new PolicyChecker()
  const root = check.readFields(value, [], ROOT_FIELDS, 'a map with a rules list')
  if (!root) return { policy: { rules: [] }, issues: check.issues }

  const escalation =
    root.escalation === undefined
      ? undefined
      : check.readFields(root.escalation, ['escalation'], ESCALATION_FIELDS, 'a map')
  const fallback = check.readEmails(escalation?.default, ['escalation', 'default']) ?? []

  const ruleValues = check.readList(root.rules, ['rules'], 'a list of at least one rule') ?? []
  const rules = ruleValues.flatMap((rule, index) => {
    const valid = readRule(check, rule, ['rules', index], fallback)
    return valid ? [valid] : []
  })
  reportDuplicateIds(check, ruleValues)

  return { policy: { rules }, issues: check.issues }
}

function reportDuplicateIds(check: PolicyChecker, rules: unknown[]) {
  const firstIndex = new Map<unknown, number>()
  rules.forEach((rule, index) => {
    const id = (rule as Fields | null)?.id
    const first = firstIndex.get(id)
    if (typeof id !== 'string') return
    if (first === undefined) firstIndex.set(id, index)
    else
      check.report(
        ['rules', index, 'id'],
        `expected a unique id; "${id}" is also rules[${first}].id`,
      )
  })
}
