import type { Collection, Connection } from 'mongoose'
import { dayOf } from './search-keys.js'

export const ARCHIVE_DAYS_COLLECTION = 'archive_days'
/** Days that received a record after they were over: retention must look at them again. */
export const LATE_DAYS_COLLECTION = 'archive_late_days'
const LATE_AFTER_MS = 2 * 86_400_000

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

  constructor(connection: Connection, timeZone: string) {
    const db = connection.db
    if (!db) throw new Error('archive days need a connected database')
    this.#rows = db.collection(ARCHIVE_DAYS_COLLECTION) as unknown as Collection
    this.#late = db.collection(LATE_DAYS_COLLECTION) as unknown as Collection
    this.#timeZone = timeZone
  }

  /**
   * Records `day` durably before a record of that day is appended; a day already over by two
   * days is also marked late (every time: late records are rare), for retention to revisit.
   */
  async note(day: string, now = new Date()): Promise<void> {
    if (day < dayOf(new Date(now.getTime() - LATE_AFTER_MS), this.#timeZone)) {
      await insertIgnoringDuplicate(this.#late, day)
    }
    if (this.#known.has(day)) return
    await insertIgnoringDuplicate(this.#rows, day)
    this.#known.add(day)
  }

  /** Days marked late and not yet revisited by retention. */
  async lateDays(): Promise<string[]> {
    const rows = await this.#late.find({}, { projection: { _id: 1 } }).toArray()
    return rows.map((row) => String(row._id)).sort()
  }

  async clearLate(days: string[]): Promise<void> {
    for (const day of days) await this.#late.deleteMany({ _id: day as never })
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

async function insertIgnoringDuplicate(rows: Collection, day: string): Promise<void> {
  try {
    await rows.insertOne({ _id: day as never })
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err
  }
}
