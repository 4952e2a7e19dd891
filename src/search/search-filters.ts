import { createHash } from 'node:crypto'
import type { ArchivedMessage } from '../archive/message-model.js'
import { searchForm } from '../archive/search-keys.js'
import { WardenError } from '../errors/warden-error.js'

/** What a search or an export selects. Every filter given must hold (AND). */
export interface SearchFilters {
  /** Sender ids; any of them. */
  users?: string[]
  chatId?: string
  /** Inclusive bounds on the message time (CreateTime, else the time it was received). */
  from?: Date
  to?: Date
  /** Message types (text, image, ...); any of them. */
  msgTypes?: string[]
  /** Only messages that hit this policy rule. */
  ruleId?: string
  /** A substring of the content, compared in search form (NFKC, lower case, no spaces). */
  text?: string
}

/** The filters with empty values dropped, so that equal searches look equal. */
export function normaliseFilters(filters: SearchFilters): SearchFilters {
  const out: SearchFilters = {}
  const users = [...new Set((filters.users ?? []).map((u) => u.trim()).filter(Boolean))]
  if (users.length > 0) out.users = users.sort()
  if (filters.chatId?.trim()) out.chatId = filters.chatId.trim()
  if (filters.from) out.from = filters.from
  if (filters.to) out.to = filters.to
  const types = [...new Set((filters.msgTypes ?? []).map((m) => m.trim()).filter(Boolean))]
  if (types.length > 0) out.msgTypes = types.sort()
  if (filters.ruleId?.trim()) out.ruleId = filters.ruleId.trim()
  if (filters.text !== undefined && searchForm(filters.text) !== '') out.text = filters.text
  if (out.from && out.to && out.from > out.to) {
    throw new WardenError('WARDEN_REQUEST_INVALID', {
      message: 'the time range ends before it starts',
    })
  }
  return out
}

/** The filters as plain JSON, for the audit log, the manifest and the cursor fingerprint. */
export function describeFilters(filters: SearchFilters): Record<string, unknown> {
  return {
    ...filters,
    ...(filters.from ? { from: filters.from.toISOString() } : {}),
    ...(filters.to ? { to: filters.to.toISOString() } : {}),
  }
}

export function messageTime(doc: Pick<ArchivedMessage, 'createTime' | 'receivedAt'>): Date {
  return doc.createTime ?? doc.receivedAt
}

/**
 * Everything a candidate must satisfy beyond what the database filtered by equality. The rule
 * filter is applied by the caller, which knows the set of messages that hit the rule.
 */
export function matchesFilters(doc: ArchivedMessage, filters: SearchFilters): boolean {
  if (doc.tombstone) return false
  if (filters.users && !filters.users.includes(doc.fromUser ?? '')) return false
  if (filters.chatId !== undefined && doc.chatId !== filters.chatId) return false
  if (filters.msgTypes && !filters.msgTypes.includes(doc.msgType ?? '')) return false
  const at = messageTime(doc).getTime()
  if (filters.from && at < filters.from.getTime()) return false
  if (filters.to && at > filters.to.getTime()) return false
  if (filters.text !== undefined) {
    if (!searchForm(doc.content ?? '').includes(searchForm(filters.text))) return false
  }
  return true
}

/** Where a page ended: a place in the plan's order. Opaque to callers. */
export interface CursorPosition {
  day: string
  seq: number
  /** Rule plan: the last message id visited (its order is by id). */
  id?: string
}

export function filtersFingerprint(filters: SearchFilters): string {
  const text = JSON.stringify(describeFilters(filters))
  return createHash('sha256').update(text).digest('base64url').slice(0, 12)
}

export function encodeCursor(position: CursorPosition, filters: SearchFilters): string {
  const body = { v: 1, f: filtersFingerprint(filters), ...position }
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url')
}

/** Reads a cursor, refusing one that was made for different filters. */
export function decodeCursor(cursor: string, filters: SearchFilters): CursorPosition {
  let body: Record<string, unknown>
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor('the cursor is not one warden issued')
  }
  if (body.v !== 1 || typeof body.day !== 'string' || typeof body.seq !== 'number') {
    throw badCursor('the cursor is not one warden issued')
  }
  if (body.f !== filtersFingerprint(filters)) {
    throw badCursor('the cursor belongs to a search with different filters')
  }
  const position: CursorPosition = { day: body.day, seq: body.seq }
  if (typeof body.id === 'string') position.id = body.id
  return position
}

function badCursor(message: string): WardenError {
  return new WardenError('WARDEN_REQUEST_INVALID', { message })
}
