import type { Model, Types } from 'mongoose'
import { isWardenError, WardenError } from '../errors/warden-error.js'
import type { ActionKindName, ActionRecord } from './action-model.js'
import type { ActionAttempt } from './attempt-model.js'
import { type Claim, claimAttempt } from './claim-attempt.js'

export interface ActionOutcome {
  delivered: string[]
  rejected: string[]
  externalId: string | null
}

/** Performs one kind of side effect for one ledger row. Throws WardenError on failure. */
export type ActionExecutor = (action: ActionRecord) => Promise<ActionOutcome>

export interface PerformOptions {
  /** Longer than any single send may take (SMTP and WeCom timeouts are set below it). */
  leaseMs: number
  maxAttempts: number
  now?: () => Date
}

export type PerformResult =
  | { result: 'sent' | 'skipped'; attempt?: number }
  | { result: 'failed' | 'retry'; attempt: number; error: WardenError }

export interface ActionStores {
  actions: Model<ActionRecord>
  attempts: Model<ActionAttempt>
}

/**
 * Claims the next try (so two workers never send the same thing), runs the executor, and
 * records the outcome on the try, then on the action row. A retryable failure leaves the row
 * pending and rethrows so that the scheduler backs off; a permanent one, or the last try,
 * marks the row failed for an admin.
 */
export async function performAction(
  stores: ActionStores,
  executors: Record<ActionKindName, ActionExecutor>,
  actionId: Types.ObjectId,
  options: PerformOptions,
): Promise<PerformResult> {
  const now = options.now ?? (() => new Date())
  const claim = await claimAttempt(stores, actionId, options.leaseMs, now)
  if (!claim) return { result: 'skipped' }
  const { action, attempt, attemptId } = claim

  let outcome: ActionOutcome
  try {
    outcome = await executors[action.kind](action)
  } catch (err) {
    return recordFailure(stores, claim, err, options.maxAttempts, now)
  }

  // The try's own row first: it is what stops a second send if we die right after this.
  await finishAttempt(stores.attempts, attemptId, 'sent', null, outcome, now())
  await stores.actions.updateOne(
    { _id: action._id },
    {
      $set: {
        status: 'sent',
        attempts: attempt,
        result: outcome,
        sentAt: now(),
        updatedAt: now(),
        claimedUntil: null,
        lastError: null,
      },
    },
  )
  return { result: 'sent', attempt }
}

async function recordFailure(
  stores: ActionStores,
  claim: Claim,
  err: unknown,
  maxAttempts: number,
  now: () => Date,
): Promise<PerformResult> {
  const { action, attempt, attemptId } = claim
  const error = isWardenError(err) ? err : new WardenError('WARDEN_INTERNAL', { cause: err })
  const retryable = error.details.retryable === true && attempt < maxAttempts
  await finishAttempt(
    stores.attempts,
    attemptId,
    retryable ? 'retry' : 'failed',
    error.code,
    null,
    now(),
  )
  await stores.actions.updateOne(
    { _id: action._id },
    {
      $set: {
        status: retryable ? 'pending' : 'failed',
        attempts: attempt,
        claimedUntil: null,
        updatedAt: now(),
        lastError: { code: error.code, message: error.message, retryable },
      },
    },
  )
  if (retryable) throw error
  return { result: 'failed', attempt, error }
}

async function finishAttempt(
  attempts: Model<ActionAttempt>,
  attemptId: string,
  outcome: 'sent' | 'retry' | 'failed',
  errorCode: string | null,
  result: ActionOutcome | null,
  at: Date,
): Promise<void> {
  await attempts.updateOne(
    { _id: attemptId },
    { $set: { outcome, errorCode, result, finishedAt: at } },
  )
}
