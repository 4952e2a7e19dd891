import { prepareKeyword } from './keyword-matcher.js'
import type { Fields, PolicyChecker, PolicyPath } from './policy-checker.js'
import type { RuleExceptions, RuleScope } from './rule-scope.js'
import {
  CHANNEL_NAMES,
  CHAT_TYPES,
  DIRECTIONS,
  type RuleThreshold,
  SEVERITIES,
  type Severity,
} from './types.js'

const SCOPE_FIELDS = [
  ...['users', 'exclude_users', 'departments', 'channels', 'chat_types', 'direction'],
]
const EXCEPTION_FIELDS = ['phrases', 'users']
const THRESHOLD_FIELDS = ['hits', 'within', 'escalate']
const ESCALATE_FIELDS = ['severity', 'actions']
const MAX_HITS = 1000
const WINDOW = /^([1-9][0-9]{0,5})([mhd])$/
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const
/** Past violations older than this are not worth a query over the whole history. */
const MAX_WINDOW_MS = 366 * UNIT_MS.d

export function readScope(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
): RuleScope | undefined {
  if (value === undefined) return {}
  const fields = check.readFields(value, path, SCOPE_FIELDS, 'a map of scope lists')
  if (!fields) return undefined

  // null: the list is not given; undefined: it is given and wrong (already reported).
  const read = <T>(field: string, reader: (value: unknown, at: PolicyPath) => T | undefined) =>
    fields[field] === undefined ? null : reader(fields[field], [...path, field])
  const lists = {
    users: read('users', (value, at) => readUsers(check, value, at)),
    excludeUsers: read('exclude_users', (value, at) => readUsers(check, value, at)),
    departments: read('departments', (value, at) => readDepartments(check, value, at)),
    channels: read('channels', (value, at) => check.readChoices(value, at, CHANNEL_NAMES)),
    chatTypes: read('chat_types', (value, at) => check.readChoices(value, at, CHAT_TYPES)),
    directions: read('direction', (value, at) => check.readChoices(value, at, DIRECTIONS)),
  }
  const entries = Object.entries(lists)
  if (entries.some(([, list]) => list === undefined)) return undefined
  return Object.fromEntries(entries.filter(([, list]) => list !== null)) as RuleScope
}

export function readExceptions(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
): RuleExceptions | undefined {
  if (value === undefined) return { users: [], phrases: [] }
  const fields = check.readFields(value, path, EXCEPTION_FIELDS, 'a map with phrases and/or users')
  if (!fields) return undefined

  const users = fields.users === undefined ? [] : readUsers(check, fields.users, [...path, 'users'])
  const phrases = fields.phrases === undefined ? [] : readPhrases(check, fields, path)
  return users && phrases ? { users, phrases } : undefined
}

/** `severity` is the rule's own: an escalation may not lower it. */
export function readThreshold(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
  severity: Severity | undefined,
): RuleThreshold | undefined | null {
  if (value === undefined) return null
  const expected = 'a map with hits, within and escalate'
  const fields = check.readFields(value, path, THRESHOLD_FIELDS, expected)
  if (!fields) return undefined

  const hits = readHits(check, fields.hits, [...path, 'hits'])
  const within = readWindow(check, fields.within, [...path, 'within'])
  const escalate = readEscalate(check, fields.escalate, [...path, 'escalate'], severity)
  if (hits === undefined || !within || !escalate) return undefined
  return { hits, within: within.text, withinMs: within.ms, escalate }
}

function readUsers(check: PolicyChecker, value: unknown, path: PolicyPath) {
  return check.readTexts(value, path, 'user id (quote ids made of digits)')
}

// WeCom department ids are whole numbers, so `departments: [2, 7]` is read as written.
function readDepartments(check: PolicyChecker, value: unknown, path: PolicyPath) {
  const items = check.readList(value, path, 'a list of at least one department id')
  const ids = items?.map((item, index) => {
    if (Number.isSafeInteger(item) && (item as number) >= 0) return String(item)
    return check.readText(item, [...path, index], 'a department id')
  })
  return ids?.every((id) => id !== undefined) ? ids : undefined
}

function readPhrases(check: PolicyChecker, fields: Fields, path: PolicyPath) {
  const at = [...path, 'phrases']
  const phrases = check.readTexts(fields.phrases, at, 'phrase')
  const blank = phrases?.findIndex((phrase) => prepareKeyword(phrase) === '') ?? -1
  if (blank < 0) return phrases
  return check.report([...at, blank], 'expected a phrase with visible characters')
}

function readHits(check: PolicyChecker, value: unknown, path: PolicyPath) {
  if (Number.isSafeInteger(value) && (value as number) >= 2 && (value as number) <= MAX_HITS) {
    return value as number
  }
  return check.reportExpected(path, `a whole number of hits from 2 to ${MAX_HITS}`, value)
}

function readWindow(check: PolicyChecker, value: unknown, path: PolicyPath) {
  const expected = 'a time window such as 30m, 24h or 7d (at most 366d)'
  const parts = typeof value === 'string' ? WINDOW.exec(value) : null
  const ms = parts ? Number(parts[1]) * UNIT_MS[parts[2] as keyof typeof UNIT_MS] : 0
  if (parts && ms <= MAX_WINDOW_MS) return { text: value as string, ms }
  return check.reportExpected(path, expected, value)
}

function readEscalate(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
  severity: Severity | undefined,
): RuleThreshold['escalate'] | undefined {
  const expected = 'a map with severity and/or actions'
  const fields = check.readFields(value, path, ESCALATE_FIELDS, expected)
  if (!fields) return undefined
  if (fields.severity === undefined && fields.actions === undefined) {
    return check.report(path, `expected ${expected}; got an empty map`)
  }

  const escalate: RuleThreshold['escalate'] = {}
  if (fields.severity !== undefined) {
    const raised = check.readChoice(fields.severity, [...path, 'severity'], SEVERITIES)
    if (!raised) return undefined
    if (severity && SEVERITIES.indexOf(raised) < SEVERITIES.indexOf(severity)) {
      const message = `expected a severity of at least the rule's own (${severity})`
      return check.report([...path, 'severity'], `${message}; got ${raised}`)
    }
    escalate.severity = raised
  }
  if (fields.actions !== undefined) {
    const read = check.readActions(fields.actions, [...path, 'actions'])
    if (!read) return undefined
    escalate.actions = read
  }
  return escalate
}
