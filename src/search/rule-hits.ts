import type { Collection } from 'mongodb'
import type { PlanSources, ScanStats } from './query-plan.js'
import type { SearchFilters } from './search-filters.js'

export interface RuleHit {
  ruleId: string
  verdict: string
  severity: string
  matchedText: string
}

/** Can violations be looked up by day: an index serves it and every violation has its day? */
export function byDay(sources: PlanSources): boolean {
  return sources.indexReads && sources.violationDays
}

/**
 * The messages a rule filter allows, when they must be known before reading (null when there is
 * no rule, or when the plan `ruleDays` finds them day by day instead).
 */
export async function ruleMessagesUpFront(
  sources: PlanSources,
  filters: SearchFilters,
  stats: ScanStats,
): Promise<Set<string> | null> {
  if (filters.ruleId === undefined || byDay(sources)) return null
  return messagesHittingRule(sources.violations, filters.ruleId, stats)
}

/** Ids (hex) of the messages that hit `ruleId`: one equality query on the violations. */
export async function messagesHittingRule(
  violations: Collection,
  ruleId: string,
  stats: ScanStats,
): Promise<Set<string>> {
  stats.queries++
  const ids = new Set<string>()
  const cursor = violations.find({ ruleId }, { projection: { _id: 0, messageId: 1 } })
  for await (const row of cursor) ids.add(String(row.messageId))
  return ids
}

/**
 * The rule hits of a page of messages, by message id, in as few equality queries as the page
 * allows: per sender (each a scan where the server scans, so that is the choice there), or per
 * day of the page when the server reads indexes and the page has fewer days than senders.
 */
export async function ruleHitsOf(
  violations: Collection,
  messages: { id: string; fromUser: string | null; day: string }[],
  stats: ScanStats,
  by: 'day' | 'sender' = 'sender',
): Promise<Map<string, RuleHit[]>> {
  const wanted = new Set(messages.map((message) => message.id))
  const days = [...new Set(messages.map((message) => message.day))]
  const senders = [...new Set(messages.map((message) => message.fromUser))]
  const queries =
    by === 'day' && days.length < senders.length
      ? days.map((day) => ({ day }))
      : senders.map((fromUser) => ({ fromUser }))
  const hits = new Map<string, RuleHit[]>()
  for (const query of queries) {
    stats.queries++
    const cursor = violations.find(query, {
      projection: { messageId: 1, ruleId: 1, verdict: 1, severity: 1, matchedText: 1 },
    })
    for await (const row of cursor) {
      const id = String(row.messageId)
      if (!wanted.has(id)) continue
      const list = hits.get(id) ?? []
      list.push({
        ruleId: String(row.ruleId),
        verdict: String(row.verdict),
        severity: String(row.severity),
        matchedText: String(row.matchedText),
      })
      hits.set(id, list)
    }
  }
  return hits
}
