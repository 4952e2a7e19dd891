import type { Collection, Document, Filter } from 'mongodb'
import type { ArchiveDays } from '../archive/archive-days.js'
import { dayOf, queryGrams, searchForm } from '../archive/search-keys.js'
import type { SearchFilters } from './search-filters.js'

/** Newest first (-1, search) or oldest first (1, export). */
export type Direction = 1 | -1

/**
 * How the candidates are fetched. Every query carries equality on the most selective keys it
 * has, because that is all some servers look up: FerretDB 1.x filters only top-level equality
 * in PostgreSQL and does ranges, $in, $or and sort in Go after fetching each document; with
 * the GIN twins of scripts/ferretdb-gin.sql those equalities are index reads, without them
 * each query is a full scan (src/archive/index-reads.ts tells which).
 * - `days`: one query per day of the range (day + the other equalities), newest day first
 *   for search, stopping when the page is full. Used whenever the server reads indexes, and
 *   for short ranges or unselective filters when it does not. A selective search that keeps
 *   finding little goes over to `stream` for the rest of the range.
 * - `stream`: one query per sender (or one) on sender / chat / text gram, the range checked
 *   after: on a server that scans, one scan instead of one per day.
 * - `ruleDays`: a rule on a server that reads indexes: the rule's violations per day name the
 *   messages, each fetched by `_id`.
 * - `rule`: a rule on a server that scans: all the rule's violations (one query) name the
 *   messages, each then fetched by `_id`.
 * On MongoDB the compound indexes in message-model.ts serve the same queries.
 */
export interface QueryPlan {
  kind: 'days' | 'stream' | 'rule' | 'ruleDays' | 'empty'
  equalities: Filter<Document>[]
  days: string[]
  range: { from: string; to: string } | null
  ruleMessages: string[]
  /** For `ruleDays`. */
  ruleId: string | null
  /** For `days`: after this many day queries, read the rest of the range as `stream`. */
  streamAfter: number | null
  /**
   * For `days`: day queries always in flight. An export (oldest first, every record) keeps the
   * next day coming while it writes this one; a search reads ahead only over sparse days.
   */
  readAhead: number
}

export interface PlanSources {
  messages: Collection
  violations: Collection
  /** Whether equality queries are index reads (src/archive/index-reads.ts). */
  indexReads: boolean
  /** Whether every violation carries its day (src/archive/violation-days.ts). */
  violationDays: boolean
  /** The days the archive holds records for (src/archive/archive-days.ts). */
  days: ArchiveDays
  timeZone: string
}

export interface ScanStats {
  queries: number
  fetched: number
}

/** A rule search over at most this many days reads the days rather than each hit by id. */
const SHORT_RANGE_DAYS = 7
/**
 * Day queries a selective search makes before it reads the rest of the range in one query:
 * each costs a few milliseconds even when empty, so a rare sender over years is one query.
 */
const DAY_QUERIES_BEFORE_STREAM = 45
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
const LETTER = /\p{L}/u

export async function planQuery(
  sources: PlanSources,
  filters: SearchFilters,
  ruleMessages: ReadonlySet<string> | null,
  direction: Direction,
  stats: ScanStats,
): Promise<QueryPlan> {
  const base: Filter<Document> = {}
  if (filters.chatId !== undefined) base.chatId = filters.chatId
  if (filters.msgTypes?.length === 1) base.msgType = filters.msgTypes[0]
  const gram = filters.text === undefined ? null : pickGram(filters.text)
  if (gram !== null) base.grams = gram
  const equalities = filters.users
    ? filters.users.map((user) => ({ ...base, fromUser: user }))
    : [base]
  const selective = Boolean(filters.users || filters.chatId !== undefined || gram !== null)
  const plan: QueryPlan = {
    kind: 'days',
    equalities,
    days: [],
    range: null,
    ruleMessages: [],
    ruleId: null,
    streamAfter: null,
    readAhead: direction === 1 ? 2 : 1,
  }

  if (ruleMessages?.size === 0) return { ...plan, kind: 'empty' }
  const bounded = filters.from !== undefined || filters.to !== undefined
  const days = bounded ? await rangeDays(sources, filters, stats) : null

  if (sources.indexReads) {
    const allDays = days ?? (await rangeDays(sources, filters, stats))
    if (allDays.length === 0) return { ...plan, kind: 'empty' }
    const ordered = direction === -1 ? allDays.reverse() : allDays
    if (filters.ruleId !== undefined && ruleMessages === null) {
      return { ...plan, kind: 'ruleDays', days: ordered, ruleId: filters.ruleId }
    }
    if (ruleMessages && !selective) return rulePlan(plan, ruleMessages, direction)
    return { ...plan, days: ordered, streamAfter: selective ? DAY_QUERIES_BEFORE_STREAM : null }
  }

  const longRange = days === null || days.length > SHORT_RANGE_DAYS
  if (ruleMessages && !selective && longRange) return rulePlan(plan, ruleMessages, direction)
  // With a sender, chat or gram to look up, one query per key beats one per day: each query
  // costs a scan on servers without index reads.
  if (selective) return { ...plan, kind: 'stream', range: dayRange(filters, sources.timeZone) }
  const allDays = days ?? (await rangeDays(sources, filters, stats))
  if (allDays.length === 0) return { ...plan, kind: 'empty' }
  return { ...plan, days: direction === -1 ? allDays.reverse() : allDays }
}

/**
 * Each of a rule's messages by `_id`, in id order (about the order they were archived in).
 * TODO(#4): a record archived late lands by its id, not by its day, and a cursor from this
 * plan does not carry over to `ruleDays` should the server start reading indexes mid-paging.
 */
function rulePlan(plan: QueryPlan, ruleMessages: ReadonlySet<string>, direction: Direction) {
  const ids = [...ruleMessages].sort()
  if (direction === -1) ids.reverse()
  return { ...plan, kind: 'rule' as const, ruleMessages: ids }
}

function dayRange(filters: SearchFilters, timeZone: string): QueryPlan['range'] {
  if (!filters.from && !filters.to) return null
  return {
    from: filters.from ? dayOf(filters.from, timeZone) : '0000-00-00',
    to: filters.to ? dayOf(filters.to, timeZone) : '9999-99-99',
  }
}

/**
 * The gram a text query is looked up by: a one-character query by its character (stored for
 * CJK only), otherwise the bigram that looks rarest: more CJK, then more letters, then the
 * later one (openings like 我的 are common). Null when no stored gram can contain the query.
 */
export function pickGram(text: string): string | null {
  const chars = Array.from(searchForm(text))
  if (chars.length === 0) return null
  if (chars.length === 1) return CJK.test(chars[0] as string) ? (chars[0] as string) : null
  let best: string | null = null
  let bestScore = -1
  for (const gram of queryGrams(text)) {
    const score = Array.from(gram).reduce(
      (sum, char) => sum + (CJK.test(char) ? 3 : LETTER.test(char) ? 1 : 0),
      0,
    )
    if (score >= bestScore) {
      best = gram
      bestScore = score
    }
  }
  return best
}

/**
 * The days a search covers, oldest first: the archive's days with records, within the range.
 * An open end is open: a record with an old time that arrived late is still covered.
 */
async function rangeDays(sources: PlanSources, filters: SearchFilters, stats: ScanStats) {
  if (filters.from && filters.to && filters.from > filters.to) return []
  stats.queries++
  return sources.days.list(
    filters.from ? dayOf(filters.from, sources.timeZone) : undefined,
    filters.to ? dayOf(filters.to, sources.timeZone) : undefined,
  )
}
