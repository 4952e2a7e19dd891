import { MongoBackend } from '@agendajs/mongo-backend'
import { Agenda, type Job } from 'agenda'
import type { FastifyBaseLogger } from 'fastify'
import { type Connection, Types } from 'mongoose'
import type { ActionKindName } from '../actions/action-model.js'
import type { ActionExecutor } from '../actions/perform-action.js'
import { planActions } from '../actions/plan-actions.js'
import type { WardenModels } from '../archive/models.js'
import { LogSampler } from '../logging/log-sampler.js'
import type { PolicyEngine } from '../policy/types.js'
import { evaluateMessage } from './evaluate-message.js'
import { createActionRunner, retryDelay } from './run-action.js'
import { sweepPending } from './sweep-pending.js'

export const JOB_EVALUATE = 'warden.evaluate-message'
export const JOB_ACTION = 'warden.perform-action'
export const JOB_SWEEP = 'warden.sweep'
const DRAIN_TIMEOUT_MS = 8000

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
  /** Other stages' jobs (archive checkpoints, disposition, media), defined on the same agenda. */
  modules?: JobModule[]
  /** Re-enqueues media fetches the sweep finds still pending. */
  enqueueMedia?: (messageId: Types.ObjectId) => Promise<void>
  /** Day buckets are in this zone (ARCHIVE_TIMEZONE). */
  timeZone: string
}

/** A stage's jobs: defined before agenda starts, recurring ones scheduled once it has. */
export interface JobModule {
  define(agenda: Agenda): void
  schedule?(agenda: Agenda): Promise<void>
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
  const leaseMs = options.actionLeaseMs ?? 120_000
  const errorLogs = new LogSampler(5)
  const db = options.connection.db
  if (!db) throw new Error('scheduler needs a connected database')

  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection: 'jobs' }),
    processEvery: options.pollMs,
    defaultLockLifetime: Math.max(leaseMs, 10_000),
    maxConcurrency: 20,
    defaultConcurrency: 10,
  })
  // While the database is away agenda fails every poll: log a few, count the rest.
  agenda.on('error', (err: unknown) => {
    const suppressed = errorLogs.admit('scheduler')
    if (suppressed !== null) logger.error({ err, suppressed }, 'scheduler error')
  })

  async function enqueue(name: string, id: Types.ObjectId, at = new Date()): Promise<void> {
    // Unique per target: a retried callback or a sweep re-arms the same job, never a second.
    const job = agenda.create<IdData>(name, { id: id.toHexString() })
    job.unique({ name, 'data.id': id.toHexString() })
    job.schedule(at)
    await job.save()
  }

  const runAction = createActionRunner({
    models,
    executors: options.executors,
    logger,
    leaseMs,
    maxAttempts: options.maxActionAttempts ?? 6,
  })

  agenda.define<IdData>(JOB_EVALUATE, async (job: Job<IdData>) => {
    const messageId = new Types.ObjectId(job.attrs.data.id)
    const outcome = await evaluateMessage(models, options.policy(), messageId)
    if (outcome.errorCode) {
      logger.error(
        { messageId: job.attrs.data.id, code: outcome.errorCode },
        'policy failed on message',
      )
    } else {
      logger.info(
        { messageId: job.attrs.data.id, violations: outcome.violationIds.length },
        'message evaluated',
      )
    }
    for (const violationId of outcome.violationIds) {
      const violation = await models.violations.findById(violationId).lean()
      if (!violation) continue
      // Actions run right here (one job fewer per side effect); only a retry gets its own job.
      for (const actionId of await planActions(models.actions, violation)) {
        await runAction(actionId.toHexString()).catch((error: Error) =>
          enqueue(
            JOB_ACTION,
            actionId,
            new Date(Date.now() + (retryDelay({ attempt: 1, error }) ?? 0)),
          ),
        )
      }
    }
  })

  agenda.define<IdData>(JOB_ACTION, (job: Job<IdData>) => runAction(job.attrs.data.id), {
    backoff: retryDelay,
  })

  agenda.define(JOB_SWEEP, async () => {
    const found = await sweepPending(models, options.sweepGraceMs ?? 60_000, options.timeZone)
    for (const id of found.messageIds) await enqueue(JOB_EVALUATE, id)
    for (const id of found.actionIds) await enqueue(JOB_ACTION, id)
    for (const id of found.mediaMessageIds) await options.enqueueMedia?.(id)
    if (found.messageIds.length + found.actionIds.length > 0) {
      logger.warn(
        { messages: found.messageIds.length, actions: found.actionIds.length },
        'sweep re-enqueued pending work',
      )
    }
  })

  for (const module of options.modules ?? []) module.define(agenda)

  return {
    enqueueEvaluation: (id) => enqueue(JOB_EVALUATE, id),
    enqueueAction: (id) => enqueue(JOB_ACTION, id),
    async start() {
      await agenda.start()
      await agenda.every(options.sweepEvery ?? '1 minute', JOB_SWEEP)
      for (const module of options.modules ?? []) await module.schedule?.(agenda)
    },
    async stop() {
      // Let running sends finish and be recorded, so a restart does not send them again.
      const drained = await agenda.drain({ timeout: DRAIN_TIMEOUT_MS })
      if (drained.running > 0) {
        logger.warn({ running: drained.running }, 'jobs still running at shutdown')
        await agenda.stop()
      }
    },
  }
}
