import type { Model } from 'mongoose'

/** Inserts `doc` unless a row with `filter` exists; a concurrent insert of the same key is fine. */
export async function upsertOnce<T>(
  model: Model<T>,
  filter: Record<string, unknown>,
  doc: Record<string, unknown> | object,
): Promise<void> {
  try {
    await model.updateOne(filter, { $setOnInsert: doc }, { upsert: true })
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err
  }
}
