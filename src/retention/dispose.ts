import type { Collection, Document } from 'mongodb'
import type { Connection } from 'mongoose'
import { ArchiveDays } from '../archive/archive-days.js'
import type { WardenModels } from '../archive/models.js'
import { dayOf } from '../archive/search-keys.js'
import type { AuditLog } from '../audit/audit-log.js'
import { mediaBucket } from '../media/fetch-media.js'
import { holdsCovering, type LegalHolds } from './legal-holds.js'
import { cutoffOf, type RetentionPolicy, type RetentionRule, ruleFor } from './retention-rules.js'

const PROGRESS_COLLECTION = 'disposition_progress'
const DEFERRED_COLLECTION = 'disposition_deferred'
const DAY_MS = 86_400_000
/** Records per audit entry (and per tombstone batch). */
const CHUNK = 500
/** Day buckets one run walks per rule; a backlog is worked off over successive runs. */
const MAX_DAYS_PER_RUN = 400

export interface DispositionDeps {
  connection: Connection
  models: WardenModels
  audit: AuditLog
  holds: LegalHolds
  policy: RetentionPolicy
  timeZone: string
  /** Who ran the disposal, for the audit log: `system:disposition` for the daily job. */
  actor?: string
}

export interface DispositionReport {
  examined: number
  disposed: number
  held: number
  days: number
  dryRun: boolean
  byRule: Record<string, { disposed: number; held: number }>
}

/**
 * Disposes of every record whose retention has run out and that no legal hold covers: the
 * record is emptied to a tombstone that keeps its place and hashes (so the chain still
 * verifies), its rule hits and media are deleted, and each batch is recorded in the audit log
 * before anything is removed. Work is per rule and per day bucket (equality queries only);
 * days with held records are revisited on every run until the hold is released.
 */
export async function runDisposition(
  deps: DispositionDeps,
  options: { now?: Date; dryRun?: boolean } = {},
): Promise<DispositionReport> {
  const now = options.now ?? new Date()
  const dryRun = options.dryRun ?? false
  const db = deps.connection.db
  if (!db) throw new Error('disposition needs a connected database')
  const progress = db.collection(PROGRESS_COLLECTION)
  const deferred = db.collection(DEFERRED_COLLECTION)
  await deferred.createIndex({ rule: 1, day: 1 }, { unique: true, name: 'deferred_day' })

  const report: DispositionReport = {
    examined: 0,
    disposed: 0,
    held: 0,
    days: 0,
    dryRun,
    byRule: {},
  }
  const records = db.collection('messages')
  const archiveDays = new ArchiveDays(deps.connection, deps.timeZone)
  const known = await archiveDays.list()
  if (known.length === 0) return report
  // Days that got a record after retention may have passed them: every rule looks again.
  const late = await archiveDays.lateDays()
  const hits = await loadRuleHits(deps.models)
  const holds = await deps.holds.list()

  for (const rule of [...deps.policy.rules, deps.policy.fallback]) {
    const cutoff = cutoffOf(rule, now)
    if (!cutoff) continue
    const tally = { disposed: 0, held: 0 }
    report.byRule[rule.id] = tally
    const lastDone = await lastProcessedDay(progress, rule.id)
    const cutoffDay = dayOf(cutoff, deps.timeZone)
    // Only whole days strictly before the cutoff's day: nothing younger than the rule is touched.
    // Only days that hold records: empty calendar days cost nothing.
    const regular = known
      .filter((day) => (lastDone === null || day > lastDone) && day < cutoffDay)
      .slice(0, MAX_DAYS_PER_RUN)
    const revisit = (await deferred.find({ rule: rule.id }).toArray()).map((row) => String(row.day))
    const again = late.filter((day) => lastDone !== null && day <= lastDone && day < cutoffDay)
    for (const day of new Set([...revisit, ...again, ...regular])) {
      report.days++
      const outcome = await disposeDay(deps, records, { rule, day, cutoff, hits, holds, dryRun })
      report.examined += outcome.examined
      tally.disposed += outcome.disposed
      tally.held += outcome.held
      if (dryRun) continue
      if (outcome.held > 0) {
        await deferred.insertOne({ rule: rule.id, day }).catch(ignoreDuplicate)
      } else {
        await deferred.deleteMany({ rule: rule.id, day })
      }
    }
    const through = regular.at(-1)
    if (through && !dryRun)
      await progress.insertOne({ rule: rule.id, throughDay: through, at: now })
    report.disposed += tally.disposed
    report.held += tally.held
  }
  if (!dryRun) await archiveDays.clearLate(now)
  return report
}

interface DayRun {
  rule: RetentionRule
  day: string
  cutoff: Date
  hits: Map<string, Set<string>>
  holds: Awaited<ReturnType<LegalHolds['list']>>
  dryRun: boolean
}

async function disposeDay(deps: DispositionDeps, records: Collection, run: DayRun) {
  const docs = await records
    .find(
      { day: run.day },
      {
        projection: {
          _id: 1,
          seq: 1,
          prevHash: 1,
          hash: 1,
          contentHash: 1,
          day: 1,
          channel: 1,
          msgType: 1,
          kind: 1,
          fromUser: 1,
          chatId: 1,
          createTime: 1,
          receivedAt: 1,
          tombstone: 1,
        },
      },
    )
    .toArray()
  const expired: Document[] = []
  let held = 0
  for (const doc of docs) {
    if (doc.tombstone) continue
    const id = doc._id.toHexString() as string
    const at = (doc.createTime ?? doc.receivedAt) as Date
    const subject = {
      channel: String(doc.channel),
      msgType: (doc.msgType as string | null) ?? null,
      kind: String(doc.kind),
      ruleHits: run.hits.get(id) ?? new Set<string>(),
    }
    if (ruleFor(deps.policy, subject).id !== run.rule.id || at >= run.cutoff) continue
    const covering = holdsCovering(run.holds, {
      fromUser: (doc.fromUser as string | null) ?? null,
      chatId: (doc.chatId as string | null) ?? null,
      at,
    })
    if (covering.length > 0) held++
    else expired.push(doc)
  }
  if (!run.dryRun) {
    for (let i = 0; i < expired.length; i += CHUNK) {
      await disposeChunk(deps, records, run, expired.slice(i, i + CHUNK), held)
    }
  }
  return { examined: docs.length, disposed: expired.length, held }
}

async function disposeChunk(
  deps: DispositionDeps,
  records: Collection,
  run: DayRun,
  chunk: Document[],
  held: number,
): Promise<void> {
  // The audit entry comes first: a tombstone never exists without its recorded disposal.
  const entry = await deps.audit.record({
    actor: deps.actor ?? 'system:disposition',
    action: 'dispose',
    params: {
      retentionRule: run.rule.id,
      keepDays: run.rule.keepDays,
      day: run.day,
      retentionFile: deps.policy.source ?? null,
      rules: [...deps.policy.rules, deps.policy.fallback].map(({ id, keepDays, match }) => ({
        id,
        keepDays,
        match,
      })),
    },
    outcome: {
      disposed: chunk.map((doc) => ({ id: doc._id.toHexString(), seq: doc.seq })),
      heldOnDay: held,
    },
  })
  const bucket = mediaBucket(deps.connection)
  for (const doc of chunk) {
    const id = doc._id
    await records.replaceOne(
      { _id: id, seq: doc.seq },
      {
        seq: doc.seq,
        prevHash: doc.prevHash,
        hash: doc.hash,
        contentHash: doc.contentHash,
        dedupeKey: `disposed:${id.toHexString()}`,
        day: doc.day,
        tombstone: { at: new Date(), retentionRule: run.rule.id, auditSeq: entry.seq },
      },
    )
    await deps.models.violations.deleteMany({ messageId: id })
    const stored = await deps.models.mediaResults.findById(id.toHexString()).lean()
    if (stored) await bucket.delete(stored.gridFsId).catch(() => {})
    await deps.models.mediaResults.deleteMany({ _id: id.toHexString() })
    await deps.models.media.deleteMany({ messageId: id })
  }
}

/** message id → ids of the policy rules it hit, from one pass over the violations. */
async function loadRuleHits(models: WardenModels): Promise<Map<string, Set<string>>> {
  const hits = new Map<string, Set<string>>()
  const cursor = models.violations.find({}, { messageId: 1, ruleId: 1 }).lean().cursor()
  for await (const row of cursor) {
    const id = row.messageId.toHexString()
    const set = hits.get(id) ?? new Set<string>()
    set.add(row.ruleId)
    hits.set(id, set)
  }
  return hits
}

async function lastProcessedDay(progress: Collection, rule: string): Promise<string | null> {
  const rows = await progress.find({ rule }, { projection: { throughDay: 1 } }).toArray()
  let last: string | null = null
  for (const row of rows) if (last === null || row.throughDay > last) last = String(row.throughDay)
  return last
}

function ignoreDuplicate(err: unknown): void {
  if ((err as { code?: number }).code !== 11000) throw err
}
