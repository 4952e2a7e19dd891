import { MongoBackend } from '@agendajs/mongo-backend'
import { Agenda, type Job } from 'agenda'
import type { FastifyBaseLogger } from 'fastify'
import { type Connection, Types } from 'mongoose'
import type { ActionKindName } from '../actions/action-model.js'
import { type ActionExecutor, performAction } from '../actions/perform-action.js'
import { planActions } from '../actions/plan-actions.js'
import type { WardenModels } from '../archive/models.js'
import { isWardenError } from '../errors/warden-error.js'
import type { PolicyEngine } from '../policy/types.js'
import { evaluateMessage } from './evaluate-message.js'
import { sweepPending } from './sweep-pending.js'

export const JOB_EVALUATE = 'warden.evaluate-message'
export const JOB_ACTION = 'warden.perform-action'
export const JOB_SWEEP = 'warden.sweep'

export interface SchedulerOptions {
  connection: Connection
  models: WardenModels
  policy: () => PolicyEngine
  executors: Record<ActionKindName, ActionExecutor>
  logger: FastifyBaseLogger
  pollMs: number
  /** How long a worker may hold an action before another may take it over. */
  actionLeaseMs?: number
  maxActionAttempts?: number
  sweepEvery?: string
  /** Pending work older than this is re-enqueued by the sweep (covers a crash mid-request). */
  sweepGraceMs?: number
}

export interface Scheduler {
  enqueueEvaluation(messageId: Types.ObjectId): Promise<void>
  enqueueAction(actionId: Types.ObjectId): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

interface IdData {
  id: string
}

/** Durable, idempotent background work on agenda, sharing the service's MongoDB connection. */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { models, logger } = options
  const db = options.connection.db
  if (!db) throw new Error('scheduler needs a connected database')

  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection: 'jobs' }),
    processEvery: options.pollMs,
    defaultLockLifetime: Math.max(options.actionLeaseMs ?? 60_000, 10_000),
    maxConcurrency: 20,
  })
  agenda.on('error', (err: unknown) => logger.error({ err }, 'scheduler error'))

  async function enqueue(name: string, id: Types.ObjectId): Promise<void> {
    // Unique per target: a retried callback or a sweep re-arms the same job, never a second.
    const job = agenda.create<IdData>(name, { id: id.toHexString() })
    job.unique({ name, 'data.id': id.toHexString() })
    job.schedule(new Date())
    await job.save()
  }

  agenda.define<IdData>(JOB_EVALUATE, async (job: Job<IdData>) => {
    const messageId = new Types.ObjectId(job.attrs.data.id)
    const outcome = await evaluateMessage(models, options.policy(), messageId)
    for (const violationId of outcome.violationIds) {
      const violation = await models.violations.findById(violationId).lean()
      if (!violation) continue
      for (const actionId of await planActions(models.actions, violation)) {
        await enqueue(JOB_ACTION, actionId)
      }
    }
    logger.info(
      { messageId: job.attrs.data.id, violations: outcome.violationIds.length },
      'message evaluated',
    )
  })

  agenda.define<IdData>(
    JOB_ACTION,
    async (job: Job<IdData>) => {
      const actionId = new Types.ObjectId(job.attrs.data.id)
      const result = await performAction(models.actions, options.executors, actionId, {
        leaseMs: options.actionLeaseMs ?? 60_000,
        maxAttempts: options.maxActionAttempts ?? 6,
      })
      const level = result === 'failed' ? 'error' : 'info'
      logger[level]({ actionId: job.attrs.data.id, result }, 'action performed')
    },
    { backoff: retryDelay },
  )

  agenda.define(JOB_SWEEP, async () => {
    const found = await sweepPending(models, options.sweepGraceMs ?? 60_000)
    for (const id of found.messageIds) await enqueue(JOB_EVALUATE, id)
    for (const id of found.actionIds) await enqueue(JOB_ACTION, id)
    if (found.messageIds.length + found.actionIds.length > 0) {
      logger.warn(
        { messages: found.messageIds.length, actions: found.actionIds.length },
        'sweep re-enqueued pending work',
      )
    }
  })

  return {
    enqueueEvaluation: (id) => enqueue(JOB_EVALUATE, id),
    enqueueAction: (id) => enqueue(JOB_ACTION, id),
    async start() {
      await agenda.start()
      await agenda.every(options.sweepEvery ?? '1 minute', JOB_SWEEP)
    },
    async stop() {
      await agenda.stop()
    },
  }
}

/** Rate limits wait out WeCom's block; other transient failures back off exponentially. */
function retryDelay(context: { attempt: number; error: Error }): number | null {
  if (context.attempt > 6) return null
  const error = context.error
  if (isWardenError(error) && typeof error.details.retryAfterSeconds === 'number') {
    return error.details.retryAfterSeconds * 1000
  }
  return Math.min(2000 * 2 ** (context.attempt - 1), 5 * 60_000)
}
