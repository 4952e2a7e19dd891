import type { Model, Types } from 'mongoose'
import { isWardenError, WardenError } from '../errors/warden-error.js'
import type { ActionKindName, ActionRecord } from './action-model.js'

export interface ActionOutcome {
  delivered: string[]
  rejected: string[]
  externalId: string | null
}

/** Performs one kind of side effect for one ledger row. Throws WardenError on failure. */
export type ActionExecutor = (action: ActionRecord) => Promise<ActionOutcome>

export interface PerformOptions {
  leaseMs: number
  maxAttempts: number
  now?: () => Date
}

export type PerformResult = 'sent' | 'skipped' | 'failed' | 'retry'

/**
 * Claims the row (so two workers never send the same thing), runs the executor, and records
 * the outcome. A retryable failure releases the claim and rethrows so the scheduler backs off;
 * a permanent one (or the last attempt) marks the row failed for an admin to see.
 */
export async function performAction(
  actions: Model<ActionRecord>,
  executors: Record<ActionKindName, ActionExecutor>,
  actionId: Types.ObjectId,
  options: PerformOptions,
): Promise<PerformResult> {
  const now = options.now ?? (() => new Date())
  const claimedAt = now()
  const action = await actions
    .findOneAndUpdate(
      {
        _id: actionId,
        status: 'pending',
        $or: [{ claimedUntil: null }, { claimedUntil: { $lt: claimedAt } }],
      },
      {
        $set: {
          claimedUntil: new Date(claimedAt.getTime() + options.leaseMs),
          updatedAt: claimedAt,
        },
        $inc: { attempts: 1 },
      },
      { returnDocument: 'after' },
    )
    .lean()
  if (!action) return 'skipped'

  try {
    const outcome = await executors[action.kind](action)
    await actions.updateOne(
      { _id: action._id },
      {
        $set: {
          status: 'sent',
          result: outcome,
          sentAt: now(),
          updatedAt: now(),
          claimedUntil: null,
          lastError: null,
        },
      },
    )
    return 'sent'
  } catch (err) {
    const error = isWardenError(err) ? err : new WardenError('WARDEN_INTERNAL', { cause: err })
    const retryable = error.details.retryable === true && action.attempts < options.maxAttempts
    await actions.updateOne(
      { _id: action._id },
      {
        $set: {
          status: retryable ? 'pending' : 'failed',
          claimedUntil: null,
          updatedAt: now(),
          lastError: { code: error.code, message: error.message, retryable },
        },
      },
    )
    if (retryable) throw error
    return 'failed'
  }
}
