import type { Types } from 'mongoose'
import type { WardenModels } from '../archive/models.js'
import { daysBetween } from '../archive/search-keys.js'

const BATCH = 500

export interface PendingWork {
  messageIds: Types.ObjectId[]
  actionIds: Types.ObjectId[]
  mediaMessageIds: Types.ObjectId[]
}

/** Days back the sweep looks for unevaluated messages (a crash is noticed within a minute). */
const SWEEP_DAYS = 2

/**
 * Finds work that should have been enqueued but may not have been (a process that died
 * between the archive write and the enqueue, or a job that gave up while a row stayed pending).
 */
export async function sweepPending(
  models: WardenModels,
  graceMs: number,
  timeZone: string,
  now: Date = new Date(),
): Promise<PendingWork> {
  const before = new Date(now.getTime() - graceMs)
  // One equality on the day bucket per query: servers without index use (FerretDB 1.x) then
  // read only the recent days, not the whole archive, every minute.
  const days = daysBetween(new Date(now.getTime() - SWEEP_DAYS * 86_400_000), now, timeZone)
  const messages = []
  for (const day of days) {
    const found = await models.messages
      .find({ day, 'processing.state': 'pending', receivedAt: { $lt: before } }, { _id: 1 })
      .limit(BATCH)
      .lean()
    messages.push(...found)
  }
  const media = await models.media
    .find({ state: 'pending', createdAt: { $lt: before } }, { messageId: 1 })
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
  return {
    messageIds: messages.map((m) => m._id),
    actionIds: actions.map((a) => a._id),
    mediaMessageIds: media.map((m) => m.messageId),
  }
}
