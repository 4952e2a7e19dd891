import type { Types } from 'mongoose'
import type { WardenModels } from '../archive/models.js'

const BATCH = 500

export interface PendingWork {
  messageIds: Types.ObjectId[]
  actionIds: Types.ObjectId[]
}

/**
 * Finds work that should have been enqueued but may not have been (a process that died
 * between the archive write and the enqueue, or a job that gave up while a row stayed pending).
 */
export async function sweepPending(
  models: WardenModels,
  graceMs: number,
  now: Date = new Date(),
): Promise<PendingWork> {
  const before = new Date(now.getTime() - graceMs)
  const messages = await models.messages
    .find({ 'processing.state': 'pending', receivedAt: { $lt: before } }, { _id: 1 })
    .limit(BATCH)
    .lean()
  const actions = await models.actions
    .find(
      {
        status: 'pending',
        updatedAt: { $lt: before },
        $or: [{ claimedUntil: null }, { claimedUntil: { $lt: now } }],
      },
      { _id: 1 },
    )
    .limit(BATCH)
    .lean()
  return { messageIds: messages.map((m) => m._id), actionIds: actions.map((a) => a._id) }
}
