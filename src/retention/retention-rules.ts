import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parse } from 'yaml'
import type { Channel } from '../archive/message-model.js'
import { WardenError } from '../errors/warden-error.js'

const DAY_MS = 86_400_000
const UNIT_DAYS = { d: 1, w: 7, m: 30, y: 365 } as const
const DURATION = /^([1-9]\d{0,4})([dwmy])$/
const MATCH_FIELDS = new Set(['ruleHit', 'rules', 'channel', 'msgType', 'kind'])
/** Values a rule may match on; a typo would otherwise quietly match nothing. */
const KNOWN_VALUES: Partial<Record<keyof RetentionMatch, readonly string[]>> = {
  msgType: [
    'text',
    'image',
    'voice',
    'video',
    'file',
    'location',
    'link',
    'event',
    'recall',
    'edit',
    'delete',
  ],
  channel: ['app-callback'] satisfies Channel[],
}

export interface RetentionMatch {
  ruleHit?: boolean
  rules?: string[]
  channel?: string[]
  msgType?: string[]
  kind?: string[]
}

export interface RetentionRule {
  id: string
  match: RetentionMatch
  /** Days to keep; null keeps forever. */
  keepDays: number | null
}

export interface RetentionPolicy {
  rules: RetentionRule[]
  /** The rule that applies when no other does: id `default`. */
  fallback: RetentionRule
  /** Where the rules were read from (an absolute path for a file), for the audit log. */
  source?: string
}

/** What retention looks at in a record. */
export interface RetentionSubject {
  channel: string
  msgType: string | null
  kind: string
  /** Ids of the policy rules the record hit. */
  ruleHits: ReadonlySet<string>
}

export async function loadRetentionFile(file: string): Promise<RetentionPolicy> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (cause) {
    throw invalid(`RETENTION_FILE '${file}' cannot be read`, cause)
  }
  return { ...parseRetention(text, file), source: resolve(file) }
}

/** Validates a retention file; every mistake names where it is. */
export function parseRetention(text: string, source = 'retention'): RetentionPolicy {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (cause) {
    throw invalid(`${source}: not valid YAML: ${(cause as Error).message.split('\n')[0]}`, cause)
  }
  if (!isRecord(raw)) throw invalid(`${source}: expected a mapping with default and rules`)
  for (const key of Object.keys(raw)) {
    if (key !== 'default' && key !== 'rules') throw invalid(`${source}: unknown field '${key}'`)
  }
  const fallback: RetentionRule = {
    id: 'default',
    match: {},
    keepDays: readKeep(raw.default ?? '7y', `${source}: default`),
  }
  const rulesRaw = raw.rules ?? []
  if (!Array.isArray(rulesRaw)) throw invalid(`${source}: rules must be a list`)
  const seen = new Set<string>()
  const rules = rulesRaw.map((entry, index) => {
    const where = `${source}: rules[${index}]`
    if (!isRecord(entry)) throw invalid(`${where} must be a mapping with id, match and keep`)
    for (const key of Object.keys(entry)) {
      if (!['id', 'match', 'keep'].includes(key)) throw invalid(`${where}: unknown field '${key}'`)
    }
    const id = entry.id
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(id) || id === 'default') {
      throw invalid(`${where}.id must be a lower-case id (letters, digits, . _ -), not 'default'`)
    }
    if (seen.has(id)) throw invalid(`${where}.id '${id}' is used twice`)
    seen.add(id)
    return {
      id,
      match: readMatch(entry.match, `${where}.match`),
      keepDays: readKeep(entry.keep, `${where}.keep`),
    }
  })
  return { rules, fallback, source }
}

/** The first rule the record satisfies, else the default. */
export function ruleFor(policy: RetentionPolicy, subject: RetentionSubject): RetentionRule {
  return policy.rules.find((rule) => matches(rule.match, subject)) ?? policy.fallback
}

/** The moment before which records under `rule` have expired (null: never). */
export function cutoffOf(rule: RetentionRule, now: Date): Date | null {
  return rule.keepDays === null ? null : new Date(now.getTime() - rule.keepDays * DAY_MS)
}

function matches(match: RetentionMatch, subject: RetentionSubject): boolean {
  if (match.ruleHit !== undefined && match.ruleHit !== subject.ruleHits.size > 0) return false
  if (match.rules && !match.rules.some((rule) => subject.ruleHits.has(rule))) return false
  if (match.channel && !match.channel.includes(subject.channel)) return false
  if (match.msgType && !match.msgType.includes(subject.msgType ?? '')) return false
  if (match.kind && !match.kind.includes(subject.kind)) return false
  return true
}

function readMatch(value: unknown, where: string): RetentionMatch {
  if (value === undefined) return {}
  if (!isRecord(value)) throw invalid(`${where} must be a mapping`)
  const match: RetentionMatch = {}
  for (const [key, given] of Object.entries(value)) {
    if (!MATCH_FIELDS.has(key)) throw invalid(`${where}: unknown field '${key}'`)
    if (key === 'ruleHit') {
      if (typeof given !== 'boolean') throw invalid(`${where}.ruleHit must be true or false`)
      match.ruleHit = given
      continue
    }
    const list = Array.isArray(given) ? given : [given]
    if (list.length === 0 || !list.every((item) => typeof item === 'string' && item !== '')) {
      throw invalid(`${where}.${key} must be a string or a list of strings`)
    }
    const known = KNOWN_VALUES[key as keyof RetentionMatch]
    const unknown = known && list.find((item) => !known.includes(item))
    if (unknown !== undefined) {
      throw invalid(`${where}.${key}: unknown value '${unknown}' (known: ${known?.join(', ')})`)
    }
    match[key as 'rules' | 'channel' | 'msgType' | 'kind'] = list as string[]
  }
  return match
}

function readKeep(value: unknown, where: string): number | null {
  if (value === 'forever') return null
  const found = typeof value === 'string' ? DURATION.exec(value) : null
  if (!found) throw invalid(`${where} must be a duration like 90d, 12w, 18m, 7y or 'forever'`)
  return Number(found[1]) * UNIT_DAYS[found[2] as keyof typeof UNIT_DAYS]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(message: string, cause?: unknown): WardenError {
  return new WardenError('WARDEN_CONFIG_INVALID', { message, cause })
}
