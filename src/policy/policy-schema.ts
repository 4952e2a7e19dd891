import { DETECTOR_NAMES, type DetectorName } from './detectors/detector-registry.js'
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

/** What a single matcher finds: at the top of a rule, or as one side of a proximity. */
export type MatcherDefinition =
  | { kind: 'keywords'; keywords: string[] }
  | { kind: 'regex'; pattern: string; flags: string }
  | { kind: 'detector'; detector: DetectorName }

export type RuleMatch =
  | MatcherDefinition
  | { kind: 'proximity'; of: [MatcherDefinition, MatcherDefinition]; within: number }

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

export interface PolicyValidation {
  policy: PolicyDefinition
  issues: PolicyIssue[]
}

type Fields = Record<string, unknown>

const ROOT_FIELDS = ['rules', 'escalation']
const ESCALATION_FIELDS = ['default']
const MATCHER_KINDS = ['keywords', 'regex', 'detector', 'proximity'] as const
const RULE_FIELDS = [
  ...['id', 'description', ...MATCHER_KINDS, 'flags', 'severity', 'actions', 'verdict'],
  ...['version', 'escalate_to', 'enabled', 'examples'],
]
const INLINE_FIELDS = ['keywords', 'regex', 'flags', 'detector']
const PROXIMITY_FIELDS = ['of', 'within']
const EXAMPLE_FIELDS = ['hit', 'miss']
/** Characters between the two sides of a proximity; more would pair unrelated words. */
const MAX_WITHIN = 200
const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/
// The length is checked first so the duplicate check never runs over a long value.
const REGEX_FLAGS_SET = new RegExp(`^(?=[${REGEX_FLAGS}]{0,${REGEX_FLAGS.length}}$)(?!.*(.).*\\1)`)
const MAX_DESCRIPTION = 400

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

function readRule(
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

  if (description !== undefined && description.length > MAX_DESCRIPTION) {
    check.report(at('description'), `expected at most ${MAX_DESCRIPTION} characters`)
  }
  if (actions?.includes('escalate') && escalateTo.length === 0) {
    check.report(
      at('actions'),
      'expected recipients for escalate: set escalate_to or escalation.default',
    )
  }
  const complete = id && description && severity && actions && verdict && version && match
  if (!complete || enabled === undefined || !examples) return undefined
  return {
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
  }
}

/** Exactly one of `kinds` among the fields: the rule's matcher, or a side of a proximity. */
function readMatch(
  check: PolicyChecker,
  fields: Fields,
  path: PolicyPath,
  kinds: readonly (typeof MATCHER_KINDS)[number][],
): RuleMatch | undefined {
  const present = kinds.filter((kind) => fields[kind] !== undefined)
  if (present.length !== 1) {
    const got = ['none', 'both', 'all three', 'all four'][Math.max(0, present.length - 1)]
    const listed = present.length > 1 ? present : kinds
    const choices = `${listed.slice(0, -1).join(', ')} or ${listed.at(-1)}`
    return check.report(path, `expected exactly one of ${choices}; got ${got}`)
  }
  if (fields.flags !== undefined && present[0] !== 'regex') {
    return check.report([...path, 'flags'], 'expected flags only together with regex')
  }
  const at = [...path, present[0] as string]
  switch (present[0]) {
    case 'keywords':
      return readKeywords(check, fields.keywords, at)
    case 'regex':
      return readRegex(check, fields, path)
    case 'detector': {
      const detector = check.readChoice(fields.detector, at, DETECTOR_NAMES)
      return detector && { kind: 'detector', detector }
    }
    default:
      return readProximity(check, fields.proximity, at)
  }
}

function readProximity(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
): RuleMatch | undefined {
  const fields = check.readFields(value, path, PROXIMITY_FIELDS, 'a map with of and within')
  if (!fields) return undefined

  const within = check.readCount(fields.within, [...path, 'within'], MAX_WITHIN)
  const sides = check.readList(fields.of, [...path, 'of'], 'a list of two matchers')
  if (sides && sides.length !== 2) {
    return check.report([...path, 'of'], `expected a list of two matchers; got ${sides.length}`)
  }
  const of = sides?.map((side, index) => {
    const sidePath = [...path, 'of', index]
    const expected = 'a map with one of keywords, regex or detector'
    const sideFields = check.readFields(side, sidePath, INLINE_FIELDS, expected)
    return sideFields && readMatch(check, sideFields, sidePath, ['keywords', 'regex', 'detector'])
  }) as (MatcherDefinition | undefined)[] | undefined
  const [first, second] = of ?? []
  if (within === undefined || !first || !second) return undefined
  return { kind: 'proximity', of: [first, second], within }
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

function readKeywords(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
): MatcherDefinition | undefined {
  const items = check.readList(value, path, 'a list of at least one keyword') ?? []
  const keywords = items.map((item, index) => {
    const keyword = check.readText(item, [...path, index], 'a keyword')
    if (keyword === undefined || prepareKeyword(keyword) !== '') return keyword
    check.report([...path, index], 'expected a keyword with visible characters')
    return undefined
  })
  const isComplete = items.length > 0 && keywords.every((keyword) => keyword !== undefined)
  return isComplete ? { kind: 'keywords', keywords: keywords as string[] } : undefined
}

function readRegex(
  check: PolicyChecker,
  fields: Fields,
  path: PolicyPath,
): MatcherDefinition | undefined {
  const pattern = check.readText(fields.regex, [...path, 'regex'], 'a regex')
  const flagsExpected = `distinct flags from "${REGEX_FLAGS}"`
  const flags = check.readText(
    withDefault(fields.flags, ''),
    [...path, 'flags'],
    flagsExpected,
    REGEX_FLAGS_SET,
  )
  if (pattern === undefined || flags === undefined) return undefined

  const problem = findRegexProblem(pattern, flags)
  if (!problem) return { kind: 'regex', pattern, flags }
  check.report([...path, 'regex'], problem)
  return undefined
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

/** Reads plain values field by field, collecting every issue instead of stopping at the first. */
class PolicyChecker {
  readonly issues: PolicyIssue[] = []

  report(path: PolicyPath, message: string): undefined {
    this.issues.push({ path, message })
    return undefined
  }

  readFields(value: unknown, path: PolicyPath, allowed: string[], expected: string) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.reportExpected(path, expected, value)
    }
    for (const field of Object.keys(value).filter((key) => !allowed.includes(key))) {
      this.report([...path, field], `unknown field; expected one of ${allowed.join(', ')}`)
    }
    return value as Fields
  }

  readList(value: unknown, path: PolicyPath, expected: string): unknown[] | undefined {
    if (Array.isArray(value) && value.length > 0) return value
    return this.reportExpected(path, expected, value)
  }

  readText(value: unknown, path: PolicyPath, expected: string, pattern?: RegExp) {
    const isText = typeof value === 'string' && (pattern?.test(value) ?? value.trim() !== '')
    return isText ? value : this.reportExpected(path, expected, value)
  }

  readChoice<T extends string>(value: unknown, path: PolicyPath, choices: readonly T[]) {
    if (choices.includes(value as T)) return value as T
    return this.reportExpected(path, `one of ${choices.join(', ')}`, value)
  }

  readActions(value: unknown, path: PolicyPath): ActionKind[] | undefined {
    const items = this.readList(value, path, `a list of ${ACTION_KINDS.join(' and/or ')}`)
    const actions = items?.map((item, index) =>
      this.readChoice(item, [...path, index], ACTION_KINDS),
    )
    if (!actions?.every((action) => action !== undefined)) return undefined
    if (new Set(actions).size === actions.length) return actions
    return this.report(path, 'expected each action at most once')
  }

  readVersion(value: unknown, path: PolicyPath): number | undefined {
    if (Number.isSafeInteger(value) && (value as number) >= 1) return value as number
    return this.reportExpected(path, 'a whole number of at least 1', value)
  }

  readCount(value: unknown, path: PolicyPath, max: number): number | undefined {
    if (Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max) {
      return value as number
    }
    return this.reportExpected(path, `a whole number of characters from 0 to ${max}`, value)
  }

  readBoolean(value: unknown, path: PolicyPath): boolean | undefined {
    return typeof value === 'boolean' ? value : this.reportExpected(path, 'true or false', value)
  }

  readEmails(value: unknown, path: PolicyPath): string[] | undefined {
    if (value === undefined) return undefined
    const items = this.readList(value, path, 'a list of at least one email address')
    const emails = items?.map((item, index) =>
      isEmail(item) ? item : this.reportExpected([...path, index], 'an email address', item),
    )
    return emails?.every((email) => email !== undefined) ? emails : undefined
  }

  private reportExpected(path: PolicyPath, expected: string, got: unknown): undefined {
    return this.report(path, `expected ${expected}; got ${describeValue(got)}`)
  }
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
  if (typeof value !== 'string') return `${typeof value} ${String(value)}`
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
}
