import formbody from '@fastify/formbody'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Connection, Model } from 'mongoose'
import { buildExecutors } from './actions/executors.js'
import { createMailer, type Mailer } from './actions/mailer.js'
import { loadTemplates } from './actions/render-templates.js'
import type { ArchiveResult, MessageArchive } from './archive/archive-message.js'
import { readSigningKey } from './archive/chain/signing-key.js'
import { connectDatabase } from './archive/database.js'
import { initModels, type WardenModels } from './archive/models.js'
import { openArchive } from './archive/open-archive.js'
import type { AuditLog } from './audit/audit-log.js'
import { appCallbackRoutes } from './channels/app-callback/routes.js'
import type { WardenConfig } from './config/env-schema.js'
import { parseEncodingAesKey } from './crypto/aes-key.js'
import { handleFrameworkError, installErrorHandler } from './errors/error-handler.js'
import { WardenError } from './errors/warden-error.js'
import { healthRoutes } from './health/routes.js'
import { checkpointJobs } from './jobs/checkpoint-job.js'
import { dispositionJobs } from './jobs/disposition-job.js'
import { mediaJobModule } from './jobs/media-module.js'
import { createScheduler, type JobModule, type Scheduler } from './jobs/scheduler.js'
import { buildLoggerOptions } from './logging/logger-options.js'
import { type MediaSource, registerMedia } from './media/register-media.js'
import { type PolicyChange, policyChangeModel } from './policy/policy-change-model.js'
import { createPolicyHolder, type ReloadResult } from './policy/policy-holder.js'
import type { PolicyEngine } from './policy/types.js'
import { loadRetentionFile } from './retention/retention-rules.js'
import { WecomClient } from './wecom/api-client.js'
import { createUserDirectory, type SenderSnapshot } from './wecom/user-directory.js'

export interface WardenServices {
  config: WardenConfig
  connection: Connection
  models: WardenModels
  /** The hash-chained message archive; every callback is appended through it. */
  archive: MessageArchive
  /** The hash-chained audit log of searches, exports, holds, policy changes and commands. */
  audit: AuditLog
  scheduler: Scheduler
  mailer: Mailer
  policy(): PolicyEngine
  /** Re-reads POLICY_FILE; a policy that fails validation or its examples is refused. */
  reloadPolicy(actor: string): Promise<ReloadResult>
  /** Who a WeCom member is, as the directory says now (cached; never throws, bounded wait). */
  senderOf(userId: string | null): Promise<SenderSnapshot>
  /**
   * What follows a durable archive write: register its media (durably, so a failure here is
   * answered 503 and WeCom's retry registers it), then hand the message to the policy stage.
   */
  afterArchive(stored: ArchiveResult, log: FastifyBaseLogger, media?: MediaSource): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    warden: WardenServices
  }
}

export interface BuildOptions {
  /** false silences logs; default: JSON logs at LOG_LEVEL with secrets redacted. */
  logger?: boolean
  /** Where the JSON log lines go (default stdout); tests read them from here. */
  logStream?: NodeJS.WritableStream
  /** Lets tests override the scheduler's timings. */
  scheduler?: {
    pollMs?: number
    sweepEvery?: string
    sweepGraceMs?: number
    actionLeaseMs?: number
  }
}

/**
 * Builds the whole service. Everything that can be wrong with the setup (policy, templates,
 * AES key, database) fails here, before the port opens, with a message naming the cause.
 */
export async function buildApp(config: WardenConfig, options: BuildOptions = {}) {
  const aesKey = parseEncodingAesKey(config.WECOM_ENCODING_AES_KEY)
  const signer = config.ARCHIVE_SIGNING_KEY ? readSigningKey(config.ARCHIVE_SIGNING_KEY) : null
  let policyChanges: Model<PolicyChange> | null = null
  const policy = await createPolicyHolder(config.POLICY_FILE, () => {
    if (!policyChanges) throw new Error('policy change log used before the database')
    return policyChanges
  })
  const templates = await loadTemplates(config.TEMPLATES_DIR)

  const app: FastifyInstance = Fastify({
    logger:
      options.logger === false
        ? false
        : { ...buildLoggerOptions(config.LOG_LEVEL), stream: options.logStream ?? process.stdout },
    bodyLimit: config.CALLBACK_BODY_LIMIT_BYTES,
    // WeCom gives up after 5 s; a request still open by then will be retried anyway.
    connectionTimeout: 10_000,
    requestTimeout: 10_000,
    return503OnClosing: true,
    frameworkErrors: handleFrameworkError,
  }) as unknown as FastifyInstance

  installErrorHandler(app)
  await app.register(formbody)

  const connection = await connectDatabase({ uri: config.MONGODB_URI })
  const models = await initModels(connection)
  const { archive, audit, holds } = await openArchive(connection, config.ARCHIVE_TIMEZONE)
  // Read now so that a broken retention file stops start-up, not a disposition run at night.
  await loadRetentionFile(config.RETENTION_FILE)
  policyChanges = policyChangeModel(connection)

  const mailer = createMailer(config.SMTP_URL, config.MAIL_FROM)
  const wecom = new WecomClient({
    baseUrl: config.WECOM_API_BASE,
    credentials: {
      corpId: config.WECOM_CORP_ID,
      agentId: config.WECOM_AGENT_ID,
      secret: config.WECOM_SECRET,
    },
    logger: app.log,
    maxMediaBytes: config.MEDIA_MAX_BYTES,
  })
  const directory = createUserDirectory({ wecom, logger: app.log })

  const executors = buildExecutors({
    violations: models.violations,
    messages: models.messages,
    wecom,
    mailer,
    templates,
    nudgeDuplicateCheckSeconds: config.NUDGE_DUPLICATE_CHECK_SECONDS,
    mailDomain: config.MAIL_FROM.split('@')[1] ?? 'wecom-warden.local',
  })
  const media = mediaJobModule({
    connection,
    models,
    fetchMedia: (mediaId) => wecom.getMedia(mediaId),
    logger: app.log,
  })
  const jobModules: JobModule[] = [
    media,
    dispositionJobs({
      connection,
      models,
      audit,
      holds,
      timeZone: config.ARCHIVE_TIMEZONE,
      retentionFile: config.RETENTION_FILE,
      logger: app.log,
    }),
  ]
  if (signer) {
    jobModules.push(
      checkpointJobs({
        connection,
        signer,
        everyMinutes: config.ARCHIVE_CHECKPOINT_MINUTES,
        logger: app.log,
      }),
    )
  } else {
    app.log.warn(
      'ARCHIVE_SIGNING_KEY is not set: the archive is hash-chained but no checkpoint is signed',
    )
  }
  const scheduler = createScheduler({
    modules: jobModules,
    enqueueMedia: (id) => media.enqueue(id),
    timeZone: config.ARCHIVE_TIMEZONE,
    connection,
    models,
    policy: () => policy.current(),
    executors,
    logger: app.log,
    pollMs: options.scheduler?.pollMs ?? config.JOBS_POLL_MS,
    sweepEvery: options.scheduler?.sweepEvery,
    sweepGraceMs: options.scheduler?.sweepGraceMs,
    actionLeaseMs: options.scheduler?.actionLeaseMs,
  })
  // Jobs stop first (they use the other two), the database last.
  app.addHook('onClose', async () => {
    await scheduler.stop()
    mailer.close()
    await connection.close()
  })

  app.decorate('warden', {
    config,
    connection,
    models,
    archive,
    audit,
    scheduler,
    mailer,
    policy: () => policy.current(),
    async reloadPolicy(actor) {
      const result = await policy.reload(actor)
      const level = result.outcome === 'refused' ? 'error' : 'info'
      app.log[level]({ actor, ...result }, 'policy reload')
      await audit
        .record({
          actor,
          action: 'policy.change',
          params: { file: config.POLICY_FILE },
          outcome: { ...result },
        })
        .catch((err: unknown) => app.log.error({ err }, 'policy change not audited'))
      return result
    },
    senderOf: (userId) => directory.snapshot(userId),
    async afterArchive(stored, log, source) {
      const needsFetch = source
        ? await registerMedia(models, source).catch((cause: unknown) => {
            throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause })
          })
        : false
      if (needsFetch) {
        await media.enqueue(stored.id).catch((err: unknown) => {
          // Registered durably: the sweep re-enqueues pending media.
          log.warn({ err, messageId: stored.id.toHexString() }, 'media fetch not enqueued')
        })
      }
      try {
        await scheduler.enqueueEvaluation(stored.id)
      } catch (err) {
        // The message is safe in the archive; the sweep job will pick it up.
        log.warn({ err, messageId: stored.id.toHexString() }, 'evaluation not enqueued')
      }
    },
  } satisfies WardenServices)

  await app.register(healthRoutes)
  await app.register(appCallbackRoutes, {
    credentials: { token: config.WECOM_TOKEN, aesKey, receiveId: config.WECOM_CORP_ID },
    maxAgeSeconds: config.CALLBACK_MAX_AGE_SECONDS,
    bodyLimit: config.CALLBACK_BODY_LIMIT_BYTES,
  })

  await scheduler.start()
  app.log.info(
    {
      policyVersion: policy.current().version,
      rules: policy.current().ruleCount,
      corpId: config.WECOM_CORP_ID,
    },
    'warden built',
  )
  // A relay that is down now may be up by the first violation: warn, do not refuse to start.
  mailer.verify().catch((err: unknown) => {
    app.log.warn({ code: (err as { code?: string }).code }, 'SMTP relay not reachable at start-up')
  })
  return app
}
