import type { Document, Filter } from 'mongodb'
import { ObjectId } from 'mongodb'
import type { ArchivedMessage } from '../archive/message-model.js'
import { mergeStreams } from './merge-streams.js'
import type { Direction, PlanSources, QueryPlan, ScanStats } from './query-plan.js'
import type { CursorPosition } from './search-filters.js'

/** Reading what a plan (query-plan.ts) describes, in the plan's order. */

/** Day queries in flight at most, and the size of a day that ends reading ahead. */
const MAX_DAYS_IN_FLIGHT = 4
const SPARSE_DAY_ROWS = 20
/** Messages of a rule's day fetched by `_id` at once. */
const ID_LOOKUPS_IN_FLIGHT = 8

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
  if (plan.kind === 'ruleDays') return scanRuleDays(sources, plan, direction, after, stats)
  if (plan.kind === 'days') return scanDays(sources, plan, direction, after, stats)
  const streams = plan.equalities.map((equality) =>
    scanStream(sources, equality, plan.range, direction, after, stats),
  )
  return mergeStreams(streams, (a, b) => comesBefore(a, b, direction))
}

/** The plan's days that can still hold records after the cursor. */
function daysFrom(days: string[], after: CursorPosition | null, direction: Direction) {
  if (!after) return days
  return days.filter((day) => (direction === -1 ? day <= after.day : day >= after.day))
}

async function* scanDays(
  sources: PlanSources,
  plan: QueryPlan,
  direction: Direction,
  after: CursorPosition | null,
  stats: ScanStats,
): AsyncGenerator<ArchivedMessage> {
  const days = daysFrom(plan.days, after, direction)
  const switchAt = plan.streamAfter ?? Number.POSITIVE_INFINITY
  const readDay = (day: string) => {
    const reading = Promise.all(
      plan.equalities.map((equality) => {
        stats.queries++
        return sources.messages.find({ ...equality, day }).toArray()
      }),
    ).then((found) => found.flat() as unknown as ArchivedMessage[])
    // Read ahead may be abandoned when the page fills; its failure then concerns no one.
    reading.catch(() => {})
    return reading
  }
  // Days that turn up little are read several at a time (the server works on them together);
  // a day that turned up plenty is followed by one day at a time, so a dense search does not
  // read days its page will never need.
  const ahead: Promise<ArchivedMessage[]>[] = []
  let window = plan.readAhead
  for (let index = 0; index < days.length; index++) {
    if (index >= switchAt) {
      yield* streamRest(sources, plan, days.slice(index), direction, after, stats)
      return
    }
    const end = Math.min(days.length, switchAt)
    while (ahead.length < window && index + ahead.length < end) {
      ahead.push(readDay(days[index + ahead.length] as string))
    }
    const rows = await (ahead.shift() as Promise<ArchivedMessage[]>)
    stats.fetched += rows.length
    window =
      rows.length < SPARSE_DAY_ROWS ? Math.min(MAX_DAYS_IN_FLIGHT, window * 2) : plan.readAhead
    yield* inPlanOrder(rows, direction, after)
  }
}

/** The days not yet read, as one stream per equality over their span. */
function streamRest(
  sources: PlanSources,
  plan: QueryPlan,
  rest: string[],
  direction: Direction,
  after: CursorPosition | null,
  stats: ScanStats,
): AsyncIterable<ArchivedMessage> {
  const first = rest[0] as string
  const last = rest.at(-1) as string
  const range = direction === 1 ? { from: first, to: last } : { from: last, to: first }
  const streams = plan.equalities.map((equality) =>
    scanStream(sources, equality, range, direction, after, stats),
  )
  return mergeStreams(streams, (a, b) => comesBefore(a, b, direction))
}

function* inPlanOrder(rows: ArchivedMessage[], direction: Direction, after: CursorPosition | null) {
  rows.sort((a, b) => (a.seq - b.seq) * direction)
  for (const row of rows) if (!after || isAfter(row, after, direction)) yield row
}

/**
 * A rule's hits day by day: the violations of the rule on that day (one equality query) name
 * the messages, each fetched by `_id`; the day's hits are then put in plan order.
 */
async function* scanRuleDays(
  sources: PlanSources,
  plan: QueryPlan,
  direction: Direction,
  after: CursorPosition | null,
  stats: ScanStats,
): AsyncGenerator<ArchivedMessage> {
  for (const day of daysFrom(plan.days, after, direction)) {
    stats.queries++
    const violations = await sources.violations
      .find({ ruleId: plan.ruleId, day }, { projection: { _id: 0, messageId: 1 } })
      .toArray()
    const ids = [...new Set(violations.map((row) => String(row.messageId)))].filter((id) =>
      ObjectId.isValid(id),
    )
    // Each message by `_id`, several at a time: they are independent lookups.
    const rows: ArchivedMessage[] = []
    for (let start = 0; start < ids.length; start += ID_LOOKUPS_IN_FLIGHT) {
      const batch = ids.slice(start, start + ID_LOOKUPS_IN_FLIGHT)
      stats.queries += batch.length
      const docs = await Promise.all(
        batch.map((id) => sources.messages.findOne({ _id: new ObjectId(id) })),
      )
      for (const doc of docs) if (doc) rows.push(doc as unknown as ArchivedMessage)
    }
    stats.fetched += rows.length
    yield* inPlanOrder(rows, direction, after)
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
