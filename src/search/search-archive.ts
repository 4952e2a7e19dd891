import type { Connection } from 'mongoose'
import { ArchiveDays } from '../archive/archive-days.js'
import { chainCollections, MESSAGE_CHAIN } from '../archive/chain/chain-spec.js'
import { serverReadsIndexes } from '../archive/index-reads.js'
import type { ArchivedMessage } from '../archive/message-model.js'
import { violationDaysKnown } from '../archive/violation-days.js'
import type { AuditLog } from '../audit/audit-log.js'
import { WardenError } from '../errors/warden-error.js'
import { type ContextMessage, ConversationContext } from './conversation-context.js'
import { type PlanSources, planQuery, type ScanStats } from './query-plan.js'
import { byDay, type RuleHit, ruleHitsOf, ruleMessagesUpFront } from './rule-hits.js'
import { scanCandidates } from './scan-candidates.js'
import {
  type CursorPosition,
  decodeCursor,
  describeFilters,
  encodeCursor,
  matchesFilters,
  normaliseFilters,
  type SearchFilters,
} from './search-filters.js'

export interface SearchDeps {
  connection: Connection
  timeZone: string
  audit: AuditLog
  actor: string
  /** Overrides the server probe (src/archive/index-reads.ts); tests run both plans with it. */
  indexReads?: boolean
}

export interface SearchPageRequest {
  /** Hits per page (1..500, default 20). */
  limit?: number
  /** From the previous page's `nextCursor`; absent for the first page. */
  cursor?: string | null
  /** Messages of conversation shown before and after each hit (0..20, default 2). */
  context?: number
}

export interface SearchHit {
  id: string
  seq: number
  msgId: string
  day: string
  time: string
  fromUser: string | null
  senderName: string | null
  departments: number[]
  chatId: string | null
  msgType: string | null
  content: string | null
  relation: string | null
  relatesTo: string | null
  ruleHits: RuleHit[]
  before: ContextMessage[]
  after: ContextMessage[]
}

export interface SearchResult {
  hits: SearchHit[]
  /** Pass back for the next page; null on the last page. */
  nextCursor: string | null
  plan: string
  stats: ScanStats & { elapsedMs: number }
}

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 500
const DEFAULT_CONTEXT = 2
const MAX_CONTEXT = 20
/** Context reads in flight at once. */
const CONTEXT_READERS = 8

/**
 * Finds archived messages, newest first, a page at a time, each with its conversation context
 * and rule hits. Disposed records are never hits. Every search is recorded in the audit log.
 */
export async function searchArchive(
  deps: SearchDeps,
  given: SearchFilters,
  page: SearchPageRequest = {},
): Promise<SearchResult> {
  const started = performance.now()
  const filters = normaliseFilters(given)
  const limit = boundedInteger(page.limit ?? DEFAULT_LIMIT, 1, MAX_LIMIT, 'limit')
  const contextSize = boundedInteger(page.context ?? DEFAULT_CONTEXT, 0, MAX_CONTEXT, 'context')
  const after = page.cursor ? decodeCursor(page.cursor, filters) : null
  const stats: ScanStats = { queries: 0, fetched: 0 }
  const sources = await planSources(deps)
  const ruleSet = await ruleMessagesUpFront(sources, filters, stats)
  const plan = await planQuery(sources, filters, ruleSet, -1, stats)
  const found: ArchivedMessage[] = []
  let more = false
  for await (const doc of scanCandidates(sources, plan, -1, after, stats)) {
    if (!matchesFilters(doc, filters)) continue
    if (ruleSet && !ruleSet.has(doc._id.toHexString())) continue
    if (found.length === limit) {
      more = true
      break
    }
    found.push(doc)
  }

  const hits = await describeHits(sources, found, contextSize, stats)
  const last = found.at(-1)
  const position: CursorPosition | null = last ? { day: last.day, seq: last.seq } : null
  if (position && plan.kind === 'rule' && last) position.id = last._id.toHexString()
  const result: SearchResult = {
    hits,
    nextCursor: more && position ? encodeCursor(position, filters) : null,
    plan: plan.kind,
    stats: { ...stats, elapsedMs: Math.round(performance.now() - started) },
  }
  await deps.audit.record({
    actor: deps.actor,
    action: 'search',
    params: {
      ...describeFilters(filters),
      limit,
      context: contextSize,
      cursor: page.cursor ?? null,
    },
    outcome: { count: hits.length, more, plan: plan.kind, queries: stats.queries },
  })
  return result
}

async function describeHits(
  sources: PlanSources,
  found: ArchivedMessage[],
  contextSize: number,
  stats: ScanStats,
): Promise<SearchHit[]> {
  const context = new ConversationContext(sources.messages, stats)
  // Context and rule hits are independent reads: a few at a time keep the server busy.
  const [ruleHits, arounds] = await Promise.all([
    ruleHitsOf(
      sources.violations,
      found.map((doc) => ({ id: doc._id.toHexString(), fromUser: doc.fromUser, day: doc.day })),
      stats,
      byDay(sources) ? 'day' : 'sender',
    ),
    mapConcurrently(found, CONTEXT_READERS, (doc) => context.around(doc, contextSize)),
  ])
  return found.map((doc, index) => {
    const id = doc._id.toHexString()
    return {
      id,
      seq: doc.seq,
      msgId: doc.msgId,
      day: doc.day,
      time: (doc.createTime ?? doc.receivedAt).toISOString(),
      fromUser: doc.fromUser,
      senderName: doc.sender?.name ?? null,
      departments: doc.sender?.departments ?? [],
      chatId: doc.chatId,
      msgType: doc.msgType,
      content: doc.content,
      relation: doc.relation,
      relatesTo: doc.relatesTo ? String(doc.relatesTo) : null,
      ruleHits: ruleHits.get(id) ?? [],
      ...(arounds[index] as Awaited<ReturnType<ConversationContext['around']>>),
    }
  })
}

/** `work` over `items` with at most `limit` running at once; results in the items' order. */
async function mapConcurrently<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

export function collectionsOf(connection: Connection) {
  const db = connection.db
  if (!db) throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE')
  return { messages: db.collection('messages'), violations: db.collection('violations') }
}

/** What search and export read, and whether the server answers equalities from indexes. */
export async function planSources(deps: {
  connection: Connection
  timeZone: string
  indexReads?: boolean
}): Promise<PlanSources> {
  const { messages, violations } = collectionsOf(deps.connection)
  const db = deps.connection.db
  if (!db) throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE')
  return {
    messages,
    violations,
    days: new ArchiveDays(deps.connection, deps.timeZone),
    timeZone: deps.timeZone,
    indexReads: deps.indexReads ?? (await serverReadsIndexes(db)),
    violationDays: await violationDaysKnown(db),
  }
}

function boundedInteger(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WardenError('WARDEN_REQUEST_INVALID', {
      message: `${name} must be a whole number from ${min} to ${max}`,
    })
  }
  return value
}
