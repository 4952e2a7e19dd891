import { randomUUID } from 'node:crypto'
import type { Model, Types } from 'mongoose'
import type { ActionRecord } from './action-model.js'
import type { ActionAttempt } from './attempt-model.js'

const DUPLICATE_KEY = 11000

export interface Claim {
  action: ActionRecord
  attempt: number
  attemptId: string
}

export interface AttemptStores {
  actions: Model<ActionRecord>
  attempts: Model<ActionAttempt>
}

/**
 * Claims the next try of an action, or returns null when it is done or another worker holds a
 * live lease on it. The claim is the insert of the try's row: of any number of workers racing
 * for the same try, exactly one insert succeeds. A try whose worker died (lease run out, no
 * outcome) is passed over: the next number is claimed, so a crash never blocks an action.
 */
export async function claimAttempt(
  stores: AttemptStores,
  actionId: Types.ObjectId,
  leaseMs: number,
  now: () => Date,
): Promise<Claim | null> {
  const last = await stores.attempts.findOne({ actionId }).sort({ attempt: -1 }).lean()
  if (last?.outcome === 'sent' || last?.outcome === 'failed') {
    await repairActionRow(stores.actions, last)
    return null
  }
  if (last && last.outcome === null && last.leaseUntil > now()) return null

  const attempt = (last?.attempt ?? 0) + 1
  const attemptId = `${actionId.toHexString()}:${attempt}`
  const startedAt = now()
  try {
    await stores.attempts.create({
      _id: attemptId,
      actionId,
      attempt,
      owner: randomUUID(),
      leaseUntil: new Date(startedAt.getTime() + leaseMs),
      startedAt,
      finishedAt: null,
      outcome: null,
      errorCode: null,
      result: null,
    })
  } catch (err) {
    if ((err as { code?: number }).code === DUPLICATE_KEY) return null
    throw err
  }

  const action = await stores.actions.findById(actionId).lean()
  if (!action || action.status !== 'pending') return null
  return { action, attempt, attemptId }
}

/**
 * The action row is a summary for queries; after a crash between a try's outcome and the row's
 * update it can lag behind. Bring it level with the try that settled it.
 */
async function repairActionRow(actions: Model<ActionRecord>, last: ActionAttempt): Promise<void> {
  const action = await actions.findById(last.actionId, { status: 1 }).lean()
  if (!action || action.status !== 'pending') return
  await actions.updateOne(
    { _id: last.actionId },
    {
      $set: {
        status: last.outcome === 'sent' ? 'sent' : 'failed',
        attempts: last.attempt,
        result: last.result,
        sentAt: last.outcome === 'sent' ? last.finishedAt : null,
        updatedAt: last.finishedAt ?? new Date(),
        claimedUntil: null,
      },
    },
  )
}
