import type { Collection, Connection } from 'mongoose'

export const ARCHIVE_DAYS_COLLECTION = 'archive_days'

/**
 * The calendar days the archive holds records for, one row per day (`_id` the day). Search,
 * export and retention walk these instead of every calendar day between two dates: open ranges
 * start at the true oldest day (a late record with an old time included), empty days cost
 * nothing, and nothing depends on the chain's tip table. Rows are only ever inserted.
 */
export class ArchiveDays {
  readonly #rows: Collection
  /** Days this process has already recorded: one insert per day and process, not per message. */
  readonly #known = new Set<string>()

  constructor(connection: Connection) {
    const db = connection.db
    if (!db) throw new Error('archive days need a connected database')
    this.#rows = db.collection(ARCHIVE_DAYS_COLLECTION) as unknown as Collection
  }

  /** Records `day` durably before a record of that day is appended. */
  async note(day: string): Promise<void> {
    if (this.#known.has(day)) return
    try {
      await this.#rows.insertOne({ _id: day as never })
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err
    }
    this.#known.add(day)
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
