import { MATCHER_KINDS, type RuleMatch, readMatch } from './matcher-schema.js'
import { type PolicyChecker, type PolicyPath, withDefault } from './policy-checker.js'
import { readExceptions, readScope, readThreshold } from './rule-limits-schema.js'
import type { RuleExceptions, RuleScope } from './rule-scope.js'
import {
  type ActionKind,
  type RuleThreshold,
  SEVERITIES,
  type Severity,
  VERDICTS,
  type Verdict,
} from './types.js'

/** Texts the rule must hit and must not hit, checked by `warden policy test`. */
export interface RuleExamples {
  hit: string[]
  miss: string[]
}

/** A rule after validation, with every default filled in. */
export interface RuleDefinition {
  id: string
  version: number
  description: string
  severity: Severity
  verdict: Verdict
  actions: ActionKind[]
  /** The rule's own `escalate_to`, else `escalation.default`. */
  escalateTo: string[]
  enabled: boolean
  match: RuleMatch
  examples: RuleExamples
  /** Empty when the rule applies to every message. */
  scope: RuleScope
  exceptions: RuleExceptions
  threshold?: RuleThreshold
}

const RULE_FIELDS = [
  ...['id', 'description', ...MATCHER_KINDS, 'flags', 'severity', 'actions', 'verdict'],
  ...['version', 'escalate_to', 'enabled', 'examples', 'scope', 'exceptions', 'threshold'],
]
const EXAMPLE_FIELDS = ['hit', 'miss']
const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/
const MAX_DESCRIPTION = 400

export function readRule(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
  fallback: string[],
): RuleDefinition | undefined {
  const fields = check.readFields(value, path, RULE_FIELDS, 'a rule map')
  if (!fields) return undefined

  const at = (field: string) => [...path, field]
  const id = check.readText(fields.id, at('id'), 'an id of a-z, 0-9, - or _', RULE_ID)
  const description =
    fields.description === undefined
      ? describeId(id ?? '')
      : check.readText(fields.description, at('description'), 'a description')
  const severity = check.readChoice(fields.severity, at('severity'), SEVERITIES)
  const actions = check.readActions(fields.actions, at('actions'))
  const verdict = check.readChoice(withDefault(fields.verdict, 'FLAG'), at('verdict'), VERDICTS)
  const version = check.readVersion(withDefault(fields.version, 1), at('version'))
  const enabled = check.readBoolean(withDefault(fields.enabled, true), at('enabled'))
  const escalateTo = check.readEmails(fields.escalate_to, at('escalate_to')) ?? fallback
  const match = readMatch(check, fields, path, MATCHER_KINDS)
  const examples = readExamples(check, fields.examples, at('examples'))

  const scope = readScope(check, fields.scope, at('scope'))
  const exceptions = readExceptions(check, fields.exceptions, at('exceptions'))
  const threshold = readThreshold(check, fields.threshold, at('threshold'), severity)

  if (description !== undefined && description.length > MAX_DESCRIPTION) {
    check.report(at('description'), `expected at most ${MAX_DESCRIPTION} characters`)
  }
  reportMissingRecipients(check, actions, escalateTo, at('actions'))
  const escalatePath = [...at('threshold'), 'escalate', 'actions']
  reportMissingRecipients(check, threshold?.escalate.actions, escalateTo, escalatePath)
  const complete = id && description && severity && actions && verdict && version && match
  const limits = scope && exceptions && threshold !== undefined
  if (!complete || !limits || enabled === undefined || !examples) return undefined
  const rule: RuleDefinition = {
    id,
    version,
    description,
    severity,
    verdict,
    actions,
    escalateTo,
    enabled,
    match,
    examples,
    scope,
    exceptions,
  }
  if (threshold) rule.threshold = threshold
  return rule
}

function reportMissingRecipients(
  check: PolicyChecker,
  actions: ActionKind[] | undefined,
  escalateTo: string[],
  path: PolicyPath,
) {
  if (!actions?.includes('escalate') || escalateTo.length > 0) return
  check.report(path, 'expected recipients for escalate: set escalate_to or escalation.default')
}

function readExamples(check: PolicyChecker, value: unknown, path: PolicyPath) {
  if (value === undefined) return { hit: [], miss: [] }
  const fields = check.readFields(value, path, EXAMPLE_FIELDS, 'a map with hit and/or miss')
  if (!fields) return undefined

  const readTexts = (field: string) => {
    if (fields[field] === undefined) return []
    const items = check.readList(fields[field], [...path, field], 'a list of example texts')
    const texts = items?.map((item, index) =>
      check.readText(item, [...path, field, index], 'an example text'),
    )
    return texts?.every((text) => text !== undefined) ? texts : undefined
  }
  const hit = readTexts('hit')
  const miss = readTexts('miss')
  return hit && miss ? { hit, miss } : undefined
}

/** `no-gambling` → `No gambling`, for rules without a description. */
function describeId(id: string): string {
  const words = id.replace(/[-_]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}
