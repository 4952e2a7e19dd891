import type { Db } from 'mongodb'

/** One row per data migration done, `_id` its name. */
export const MIGRATIONS_COLLECTION = 'archive_migrations'
const VIOLATION_DAYS = 'violations-day'

/**
 * Violations carry their message's archive `day` so that rule searches can walk a range day by
 * day. Violations written before that field existed get it here, from their message (one pass,
 * done once, by whoever opens the archive for writing); the row in `archive_migrations` then
 * tells readers that every violation has its day. Idempotent, and safe to run on two replicas
 * at once (each writes the same value).
 */
export async function backfillViolationDays(db: Db): Promise<number> {
  const migrations = db.collection(MIGRATIONS_COLLECTION)
  if (await migrations.findOne({ _id: VIOLATION_DAYS as never })) return 0
  const violations = db.collection('violations')
  const messages = db.collection('messages')
  let filled = 0
  const missing = violations.find(
    { day: { $exists: false } },
    { projection: { _id: 1, messageId: 1 } },
  )
  for await (const row of missing) {
    const message = await messages.findOne({ _id: row.messageId }, { projection: { day: 1 } })
    await violations.updateOne(
      { _id: row._id },
      { $set: { day: typeof message?.day === 'string' ? message.day : null } },
    )
    filled++
  }
  try {
    await migrations.insertOne({ _id: VIOLATION_DAYS as never, at: new Date(), filled })
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err
  }
  return filled
}

/** Whether every violation has its `day` (the backfill above has run on this database). */
export async function violationDaysKnown(db: Db): Promise<boolean> {
  const row = await db.collection(MIGRATIONS_COLLECTION).findOne({ _id: VIOLATION_DAYS as never })
  return row !== null
}
