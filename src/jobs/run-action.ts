import type { FastifyBaseLogger } from 'fastify'
import { Types } from 'mongoose'
import type { ActionKindName } from '../actions/action-model.js'
import { type ActionExecutor, performAction } from '../actions/perform-action.js'
import type { WardenModels } from '../archive/models.js'
import { isWardenError } from '../errors/warden-error.js'

export interface ActionRunnerOptions {
  models: WardenModels
  executors: Record<ActionKindName, ActionExecutor>
  logger: FastifyBaseLogger
  leaseMs: number
  maxAttempts: number
}

/**
 * Performs one action and logs what happened. Throws only for a failure worth retrying, so
 * the caller can schedule the next try; a permanent failure is logged at error for admins.
 */
export function createActionRunner(options: ActionRunnerOptions) {
  const { logger } = options
  return async function runAction(actionId: string): Promise<void> {
    let performed: Awaited<ReturnType<typeof performAction>>
    try {
      performed = await performAction(
        options.models,
        options.executors,
        new Types.ObjectId(actionId),
        {
          leaseMs: options.leaseMs,
          maxAttempts: options.maxAttempts,
        },
      )
    } catch (err) {
      const code = isWardenError(err) ? err.code : 'WARDEN_INTERNAL'
      const details = isWardenError(err) ? err.details : { message: (err as Error).message }
      logger.warn({ actionId, code, details }, 'action will be retried')
      throw err
    }
    if (performed.result === 'failed') {
      const { error, attempt } = performed
      // Surfaced for admins: a permanent failure (bad recipient, untrusted IP, bad login).
      logger.error(
        { actionId, attempt, code: error.code, details: error.details },
        'action failed for good',
      )
      return
    }
    logger.info({ actionId, result: performed.result }, 'action performed')
  }
}

/** Rate limits wait out WeCom's block; other transient failures back off exponentially. */
export function retryDelay(context: { attempt: number; error: Error }): number | null {
  if (context.attempt > 6) return null
  const error = context.error
  if (isWardenError(error) && typeof error.details.retryAfterSeconds === 'number') {
    return error.details.retryAfterSeconds * 1000
  }
  return Math.min(2000 * 2 ** (context.attempt - 1), 5 * 60_000)
}
