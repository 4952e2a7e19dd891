import type { Model } from 'mongoose'

/**
 * Inserts `doc` unless a row with the same unique key exists. Deliberately an insert, not an
 * upsert: on FerretDB 1.x an upsert that finds the row writes the whole document back, which
 * could undo a concurrent update by another worker.
 */
export async function insertOnce<T>(model: Model<T>, doc: object): Promise<void> {
  try {
    await model.insertMany([doc])
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err
  }
}
