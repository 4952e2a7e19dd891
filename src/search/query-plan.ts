import type { Collection, Document, Filter } from 'mongodb'
import { ObjectId } from 'mongodb'
import type { ArchiveDays } from '../archive/archive-days.js'
import type { ArchivedMessage } from '../archive/message-model.js'
import { dayOf, queryGrams, searchForm } from '../archive/search-keys.js'
import { mergeStreams } from './merge-streams.js'
import type { CursorPosition, SearchFilters } from './search-filters.js'

/** Newest first (-1, search) or oldest first (1, export). */
export type Direction = 1 | -1

/**
 * How the candidates are fetched. FerretDB 1.x filters only top-level equality in PostgreSQL
 * and does everything else (ranges, $in, $or, sort) in Go after fetching each document, so
 * every query here carries equality on the most selective keys it has:
 * - `days`: one query per day of the range (day + the other equalities), for short ranges or
 *   when nothing else is selective;
 * - `stream`: one query per sender (or one) on sender / chat / text gram, the range checked
 *   after, for selective filters over long or open ranges;
 * - `rule`: only a rule was asked for: the rule's violations name the messages, each then
 *   fetched by `_id`.
 * On MongoDB the compound indexes in message-model.ts serve the same queries.
 */
export interface QueryPlan {
  kind: 'days' | 'stream' | 'rule' | 'empty'
  equalities: Filter<Document>[]
  days: string[]
  range: { from: string; to: string } | null
  ruleMessages: string[]
}

export interface PlanSources {
  messages: Collection
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
  const plan: QueryPlan = { kind: 'days', equalities, days: [], range: null, ruleMessages: [] }

  if (ruleMessages?.size === 0) return { ...plan, kind: 'empty' }
  const bounded = filters.from !== undefined || filters.to !== undefined
  const days = bounded ? await rangeDays(sources, filters, stats) : null
  const longRange = days === null || days.length > SHORT_RANGE_DAYS

  if (ruleMessages && !selective && longRange) {
    const ids = [...ruleMessages].sort()
    if (direction === -1) ids.reverse()
    return { ...plan, kind: 'rule', ruleMessages: ids }
  }
  // With a sender, chat or gram to look up, one query per key beats one per day: each query
  // costs a scan on servers without index reads, and MongoDB serves it from key+day indexes.
  if (selective) {
    const range =
      filters.from || filters.to
        ? {
            from: filters.from ? dayOf(filters.from, sources.timeZone) : '0000-00-00',
            to: filters.to ? dayOf(filters.to, sources.timeZone) : '9999-99-99',
          }
        : null
    return { ...plan, kind: 'stream', range }
  }
  const allDays = days ?? (await rangeDays(sources, filters, stats))
  if (allDays.length === 0) return { ...plan, kind: 'empty' }
  return { ...plan, days: direction === -1 ? allDays.reverse() : allDays }
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

/** Does `a` come before `b` in the plan's order? */
export function comesBefore(a: ArchivedMessage, b: ArchivedMessage, direction: Direction) {
  if (a.day !== b.day) return direction === -1 ? a.day > b.day : a.day < b.day
  return direction === -1 ? a.seq > b.seq : a.seq < b.seq
}

function isAfter(doc: ArchivedMessage, position: CursorPosition, direction: Direction) {
  return comesBefore({ day: position.day, seq: position.seq } as ArchivedMessage, doc, direction)
}

/**
 * The candidates of a plan in its order, starting after `after`. They still need the checks
 * the database did not make (matchesFilters and the rule set).
 */
export function scanCandidates(
  sources: PlanSources,
  plan: QueryPlan,
  direction: Direction,
  after: CursorPosition | null,
  stats: ScanStats,
): AsyncIterable<ArchivedMessage> {
  if (plan.kind === 'empty') return (async function* () {})()
  if (plan.kind === 'rule') return scanRule(sources, plan, direction, after, stats)
  if (plan.kind === 'days') return scanDays(sources, plan, direction, after, stats)
  const streams = plan.equalities.map((equality) =>
    scanStream(sources, equality, plan.range, direction, after, stats),
  )
  return mergeStreams(streams, (a, b) => comesBefore(a, b, direction))
}

async function* scanDays(
  sources: PlanSources,
  plan: QueryPlan,
  direction: Direction,
  after: CursorPosition | null,
  stats: ScanStats,
): AsyncGenerator<ArchivedMessage> {
  for (const day of plan.days) {
    if (after && (direction === -1 ? day > after.day : day < after.day)) continue
    const rows: ArchivedMessage[] = []
    for (const equality of plan.equalities) {
      stats.queries++
      const found = await sources.messages.find({ ...equality, day }).toArray()
      stats.fetched += found.length
      rows.push(...(found as unknown as ArchivedMessage[]))
    }
    rows.sort((a, b) => (a.seq - b.seq) * direction)
    for (const row of rows) if (!after || isAfter(row, after, direction)) yield row
  }
}

/**
 * One query read to the end (or until the caller stops): FerretDB sorts the whole match in Go
 * whatever the limit, so asking again per batch would repeat that work.
 */
async function* scanStream(
  sources: PlanSources,
  equality: Filter<Document>,
  range: QueryPlan['range'],
  direction: Direction,
  after: CursorPosition | null,
  stats: ScanStats,
): AsyncGenerator<ArchivedMessage> {
  const filter: Filter<Document> = { ...equality }
  if (range) filter.day = { $gte: range.from, $lte: range.to }
  if (after) {
    const beyond = direction === -1 ? '$lt' : '$gt'
    filter.$or = [
      { day: { [beyond]: after.day } },
      { day: after.day, seq: { [beyond]: after.seq } },
    ]
  }
  stats.queries++
  const cursor = sources.messages
    .find(filter, { batchSize: 500 })
    .sort({ day: direction, seq: direction })
  try {
    for await (const doc of cursor) {
      stats.fetched++
      yield doc as unknown as ArchivedMessage
    }
  } finally {
    await cursor.close()
  }
}

async function* scanRule(
  sources: PlanSources,
  plan: QueryPlan,
  direction: Direction,
  after: CursorPosition | null,
  stats: ScanStats,
): AsyncGenerator<ArchivedMessage> {
  const last = after?.id
  for (const id of plan.ruleMessages) {
    // Ids are hex of equal length, so string order is id order.
    if (last !== undefined && (direction === -1 ? id >= last : id <= last)) continue
    stats.queries++
    const doc = await sources.messages.findOne({ _id: new ObjectId(id) })
    if (!doc) continue
    stats.fetched++
    yield doc as unknown as ArchivedMessage
  }
}
