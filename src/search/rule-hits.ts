import type { Collection } from 'mongodb'
import type { ScanStats } from './query-plan.js'

export interface RuleHit {
  ruleId: string
  verdict: string
  severity: string
  matchedText: string
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
 * The rule hits of a page of messages, by message id. Violations are fetched per day of the
 * page when the server looks equalities up in an index (a page spans few days, and a day's
 * violations are few), else per sender (fewer queries than per message, each a scan).
 */
export async function ruleHitsOf(
  violations: Collection,
  messages: { id: string; fromUser: string | null; day: string }[],
  stats: ScanStats,
  by: 'day' | 'sender' = 'sender',
): Promise<Map<string, RuleHit[]>> {
  const wanted = new Set(messages.map((message) => message.id))
  const queries =
    by === 'day'
      ? [...new Set(messages.map((message) => message.day))].map((day) => ({ day }))
      : [...new Set(messages.map((message) => message.fromUser))].map((fromUser) => ({ fromUser }))
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
