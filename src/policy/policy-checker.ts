import { ACTION_KINDS, type ActionKind } from './types.js'

/** Where a problem sits, as YAML keys and list indexes: ['rules', 2, 'severity']. */
export type PolicyPath = (string | number)[]

export interface PolicyIssue {
  path: PolicyPath
  message: string
}

export type Fields = Record<string, unknown>

/** Reads plain values field by field, collecting every issue instead of stopping at the first. */
export class PolicyChecker {
  readonly issues: PolicyIssue[] = []

  report(path: PolicyPath, message: string): undefined {
    this.issues.push({ path, message })
    return undefined
  }

  readFields(value: unknown, path: PolicyPath, allowed: readonly string[], expected: string) {
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

  /** A non-empty list of texts; undefined (after reporting) when any item is not one. */
  readTexts(value: unknown, path: PolicyPath, expected: string): string[] | undefined {
    const items = this.readList(value, path, `a list of at least one ${expected}`)
    const texts = items?.map((item, index) => this.readText(item, [...path, index], expected))
    return texts?.every((text) => text !== undefined) ? texts : undefined
  }

  readChoice<T extends string>(value: unknown, path: PolicyPath, choices: readonly T[]) {
    if (choices.includes(value as T)) return value as T
    return this.reportExpected(path, `one of ${choices.join(', ')}`, value)
  }

  /** A non-empty list of distinct choices. */
  readChoices<T extends string>(value: unknown, path: PolicyPath, choices: readonly T[]) {
    const items = this.readList(value, path, `a list of ${choices.join(' and/or ')}`)
    const picked = items?.map((item, index) => this.readChoice(item, [...path, index], choices))
    if (!picked?.every((choice) => choice !== undefined)) return undefined
    if (new Set(picked).size === picked.length) return picked
    return this.report(path, 'expected each value at most once')
  }

  readActions(value: unknown, path: PolicyPath): ActionKind[] | undefined {
    return this.readChoices(value, path, ACTION_KINDS)
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

  reportExpected(path: PolicyPath, expected: string, got: unknown): undefined {
    return this.report(path, `expected ${expected}; got ${describeValue(got)}`)
  }
}

export function withDefault(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value
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

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing'
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list'
  if (typeof value === 'object') return 'a map'
  if (typeof value !== 'string') return `${typeof value} ${String(value)}`
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
}
