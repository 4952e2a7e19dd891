import { prepareKeyword } from './keyword-matcher.js'
import { findRegexProblem, REGEX_FLAGS } from './regex-matcher.js'
import {
  ACTION_KINDS,
  type ActionKind,
  SEVERITIES,
  type Severity,
  VERDICTS,
  type Verdict,
} from './types.js'

export type RuleMatch =
  | { kind: 'keywords'; keywords: string[] }
  | { kind: 'regex'; pattern: string; flags: string }

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
}

export interface PolicyDefinition {
  rules: RuleDefinition[]
}

/** Where a problem sits, as YAML keys and list indexes: ['rules', 2, 'severity']. */
export type PolicyPath = (string | number)[]

export interface PolicyIssue {
  path: PolicyPath
  message: string
}

type Fields = Record<string, unknown>
type Report = (path: PolicyPath, message: string) => void

const ROOT_FIELDS = ['rules', 'escalation']
const ESCALATION_FIELDS = ['default']
const RULE_FIELDS = [
  ...['id', 'description', 'keywords', 'regex', 'flags', 'severity', 'actions', 'verdict'],
  ...['version', 'escalate_to', 'enabled'],
]
const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/
const MAX_DESCRIPTION = 400

/** Checks a policy (YAML already turned into plain values) and fills in the defaults. */
export function validatePolicy(value: unknown): {
  policy: PolicyDefinition
  issues: PolicyIssue[]
} {
  const issues: PolicyIssue[] = []
  const report = (path: PolicyPath, message: string) => issues.push({ path, message })

  const root = readFields(value, [], ROOT_FIELDS, 'a map with a rules list', report)
  if (!root) return { policy: { rules: [] }, issues }

  const escalation =
    root.escalation === undefined
      ? undefined
      : readFields(root.escalation, ['escalation'], ESCALATION_FIELDS, 'a map', report)
  const fallback = readEmails(escalation?.default, ['escalation', 'default'], report) ?? []

  const ruleValues = readList(root.rules, ['rules'], 'a list of at least one rule', report)
  const rules = (ruleValues ?? []).flatMap((rule, index) => {
    const valid = readRule(rule, ['rules', index], fallback, report)
    return valid ? [valid] : []
  })
  reportDuplicateIds(ruleValues ?? [], report)

  return { policy: { rules }, issues }
}

function readRule(
  value: unknown,
  path: PolicyPath,
  fallback: string[],
  report: Report,
): RuleDefinition | undefined {
  const fields = readFields(value, path, RULE_FIELDS, 'a rule map', report)
  if (!fields) return undefined

  const at = (field: string) => [...path, field]
  const id = readText(fields.id, at('id'), report, RULE_ID, 'an id of a-z, 0-9, - or _')
  const description =
    fields.description === undefined
      ? describeId(id ?? '')
      : readText(fields.description, at('description'), report, undefined, 'a description')
  const severity = readChoice(fields.severity, at('severity'), SEVERITIES, report)
  const actions = readActions(fields.actions, at('actions'), report)
  const verdict = readChoice(withDefault(fields.verdict, 'FLAG'), at('verdict'), VERDICTS, report)
  const version = readVersion(withDefault(fields.version, 1), at('version'), report)
  const enabled = readBoolean(withDefault(fields.enabled, true), at('enabled'), report)
  const ownRecipients = readEmails(fields.escalate_to, at('escalate_to'), report)
  const match = readMatch(fields, path, report)
  const escalateTo = ownRecipients ?? fallback

  if (description !== undefined && description.length > MAX_DESCRIPTION) {
    report(at('description'), `expected at most ${MAX_DESCRIPTION} characters`)
  }
  if (actions?.includes('escalate') && escalateTo.length === 0) {
    report(at('actions'), 'expected recipients for escalate: set escalate_to or escalation.default')
  }
  const complete = id && description && severity && actions && verdict && version && match
  if (!complete || enabled === undefined) return undefined
  return { id, version, description, severity, verdict, actions, escalateTo, enabled, match }
}

function readMatch(fields: Fields, path: PolicyPath, report: Report): RuleMatch | undefined {
  const hasKeywords = fields.keywords !== undefined
  const hasRegex = fields.regex !== undefined
  if (hasKeywords === hasRegex) {
    report(
      path,
      `expected exactly one of keywords or regex; got ${hasKeywords ? 'both' : 'neither'}`,
    )
    return undefined
  }
  if (fields.flags !== undefined && !hasRegex) {
    report([...path, 'flags'], 'expected flags only together with regex')
    return undefined
  }
  return hasKeywords
    ? readKeywords(fields.keywords, [...path, 'keywords'], report)
    : readRegex(fields, path, report)
}

function readKeywords(value: unknown, path: PolicyPath, report: Report): RuleMatch | undefined {
  const items = readList(value, path, 'a list of at least one keyword', report)
  if (!items) return undefined

  const keywords = items.map((item, index) => {
    const keyword = readText(item, [...path, index], report, undefined, 'a keyword')
    if (keyword !== undefined && prepareKeyword(keyword) === '') {
      report([...path, index], 'expected a keyword with visible characters')
      return undefined
    }
    return keyword
  })
  return keywords.every((keyword) => keyword !== undefined)
    ? { kind: 'keywords', keywords: keywords as string[] }
    : undefined
}

function readRegex(fields: Fields, path: PolicyPath, report: Report): RuleMatch | undefined {
  const pattern = readText(fields.regex, [...path, 'regex'], report, undefined, 'a regex')
  const flagsPattern = new RegExp(`^(?!.*(.).*\\1)[${REGEX_FLAGS}]*$`)
  const flags = readText(
    withDefault(fields.flags, ''),
    [...path, 'flags'],
    report,
    flagsPattern,
    `flags from "${REGEX_FLAGS}"`,
  )
  if (pattern === undefined || flags === undefined) return undefined

  const problem = findRegexProblem(pattern, flags)
  if (problem) {
    report([...path, 'regex'], problem)
    return undefined
  }
  return { kind: 'regex', pattern, flags }
}

function readFields(
  value: unknown,
  path: PolicyPath,
  allowed: string[],
  expected: string,
  report: Report,
): Fields | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    report(path, `expected ${expected}; got ${describeValue(value)}`)
    return undefined
  }
  for (const field of Object.keys(value)) {
    if (!allowed.includes(field)) {
      report([...path, field], `unknown field; expected one of ${allowed.join(', ')}`)
    }
  }
  return value as Fields
}

function readList(
  value: unknown,
  path: PolicyPath,
  expected: string,
  report: Report,
): unknown[] | undefined {
  if (Array.isArray(value) && value.length > 0) return value
  report(path, `expected ${expected}; got ${describeValue(value)}`)
  return undefined
}

function readText(
  value: unknown,
  path: PolicyPath,
  report: Report,
  pattern: RegExp | undefined,
  expected: string,
): string | undefined {
  const fits = typeof value === 'string' && (pattern ? pattern.test(value) : value.trim() !== '')
  if (fits) return value
  report(path, `expected ${expected}; got ${describeValue(value)}`)
  return undefined
}

function readChoice<T extends string>(
  value: unknown,
  path: PolicyPath,
  choices: readonly T[],
  report: Report,
): T | undefined {
  if (choices.includes(value as T)) return value as T
  report(path, `expected one of ${choices.join(', ')}; got ${describeValue(value)}`)
  return undefined
}

function readActions(value: unknown, path: PolicyPath, report: Report) {
  const items = readList(value, path, `a list of ${ACTION_KINDS.join(' and/or ')}`, report)
  const actions = items?.map((item, index) =>
    readChoice(item, [...path, index], ACTION_KINDS, report),
  )
  if (!actions?.every((action) => action !== undefined)) return undefined
  if (new Set(actions).size !== actions.length) {
    report(path, 'expected each action at most once')
    return undefined
  }
  return actions as ActionKind[]
}

function readVersion(value: unknown, path: PolicyPath, report: Report): number | undefined {
  if (Number.isSafeInteger(value) && (value as number) >= 1) return value as number
  report(path, `expected a whole number of at least 1; got ${describeValue(value)}`)
  return undefined
}

function readBoolean(value: unknown, path: PolicyPath, report: Report): boolean | undefined {
  if (typeof value === 'boolean') return value
  report(path, `expected true or false; got ${describeValue(value)}`)
  return undefined
}

function readEmails(value: unknown, path: PolicyPath, report: Report): string[] | undefined {
  if (value === undefined) return undefined
  const items = readList(value, path, 'a list of at least one email address', report)
  const emails = items?.map((item, index) =>
    isEmail(item)
      ? item
      : report([...path, index], `expected an email address; got ${describeValue(item)}`),
  )
  return emails?.every((email) => typeof email === 'string') ? (emails as string[]) : undefined
}

// Deliberately plain: one @, no spaces or header-breaking characters, a dotted host name.
function isEmail(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const [local, domain, ...rest] = value.split('@')
  if (!local || !domain || rest.length > 0 || local.length > 64) return false
  const labels = domain.split('.')
  const isLabel = (label: string) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(label)
  return /^[^\s<>(),;:"[\]\\]+$/.test(local) && labels.length >= 2 && labels.every(isLabel)
}

function reportDuplicateIds(rules: unknown[], report: Report) {
  const firstIndex = new Map<unknown, number>()
  rules.forEach((rule, index) => {
    const id = (rule as Fields | null)?.id
    if (typeof id !== 'string') return
    const first = firstIndex.get(id)
    if (first === undefined) firstIndex.set(id, index)
    else report(['rules', index, 'id'], `expected a unique id; "${id}" is also rules[${first}].id`)
  })
}

function withDefault(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value
}

/** `no-gambling` → `No gambling`, for rules without a description. */
function describeId(id: string): string {
  const words = id.replace(/[-_]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing'
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list'
  if (typeof value === 'object') return 'a map'
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  return `${typeof value} ${String(value)}`
}
