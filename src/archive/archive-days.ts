import type { Collection, Connection } from 'mongoose'
import { dayOf } from './search-keys.js'

export const ARCHIVE_DAYS_COLLECTION = 'archive_days'
/** Days that received a record after they were over: retention must look at them again. */
export const LATE_DAYS_COLLECTION = 'archive_late_days'
const LATE_AFTER_MS = 2 * 86_400_000
/** Late marks are kept per day and 10-minute bucket, so a process writes one per bucket. */
const BUCKET_MS = 600_000
/** A retention run clears only marks of buckets that ended this long before it started. */
const SETTLE_MS = 300_000

/**
 * The calendar days the archive holds records for, one row per day (`_id` the day). Search,
 * export and retention walk these instead of every calendar day between two dates: open ranges
 * start at the true oldest day (a late record with an old time included), empty days cost
 * nothing, and nothing depends on the chain's tip table. Rows are only ever inserted.
 */
export class ArchiveDays {
  readonly #rows: Collection
  readonly #late: Collection
  readonly #timeZone: string
  /** Days this process has already recorded: one insert per day and process, not per message. */
  readonly #known = new Set<string>()
  /** Late marks this process has written (day@bucket). */
  readonly #marked = new Set<string>()

  constructor(connection: Connection, timeZone: string) {
    const db = connection.db
    if (!db) throw new Error('archive days need a connected database')
    this.#rows = db.collection(ARCHIVE_DAYS_COLLECTION) as unknown as Collection
    this.#late = db.collection(LATE_DAYS_COLLECTION) as unknown as Collection
    this.#timeZone = timeZone
  }

  /**
   * Records `day` durably before a record of that day is appended. A day already over by two
   * days is also marked late, per 10-minute bucket, for retention to revisit: a mark that a
   * retention run clears is always older than the run, so no later record goes unmarked.
   */
  async note(day: string, now = new Date()): Promise<void> {
    if (day < dayOf(new Date(now.getTime() - LATE_AFTER_MS), this.#timeZone)) {
      const mark = `${day}@${Math.floor(now.getTime() / BUCKET_MS)}`
      if (!this.#marked.has(mark)) {
        await insertIgnoringDuplicate(this.#late, mark, { day })
        this.#marked.add(mark)
      }
    }
    if (this.#known.has(day)) return
    await insertIgnoringDuplicate(this.#rows, day, {})
    this.#known.add(day)
  }

  /** Days marked late and not yet revisited by retention. */
  async lateDays(): Promise<string[]> {
    const rows = await this.#late.find({}, { projection: { day: 1 } }).toArray()
    return [...new Set(rows.map((row) => String(row.day)))].sort()
  }

  /** Clears the marks whose records all existed before a run that started at `runStart`. */
  async clearLate(runStart: Date): Promise<void> {
    const rows = await this.#late.find({}, { projection: { _id: 1 } }).toArray()
    for (const row of rows) {
      const bucket = Number(String(row._id).split('@')[1])
      if ((bucket + 1) * BUCKET_MS < runStart.getTime() - SETTLE_MS) {
        await this.#late.deleteMany({ _id: row._id })
      }
    }
  }

  /** Every day with records, oldest first, optionally within [from, to] (inclusive). */
  async list(from?: string, to?: string): Promise<string[]> {
    const rows = await this.#rows.find({}, { projection: { _id: 1 } }).toArray()
    return rows
      .map((row) => String(row._id))
      .filter((day) => (from === undefined || day >= from) && (to === undefined || day <= to))
      .sort()
  }
}

async function insertIgnoringDuplicate(rows: Collection, id: string, fields: object) {
  try {
    await rows.insertOne({ _id: id as never, ...fields })
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err
  }
}
