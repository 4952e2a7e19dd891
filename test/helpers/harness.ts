import type { FastifyInstance } from 'fastify'
import mongoose from 'mongoose'
import { buildApp } from '../../src/app.js'
import type { WardenConfig } from '../../src/config/env-schema.js'
import type { CallbackAppConfig } from '../../src/simulator/callback-sender.js'
import { type SmtpSink, startSmtpSink } from '../../src/simulator/smtp-sink.js'
import { startWecomSimulator, type WecomSimulator } from '../../src/simulator/wecom-simulator.js'
import { clearTokenCache } from '../../src/wecom/token-cache.js'

export const TEST_APP = {
  corpId: 'ww0000000000000000',
  agentId: '1000002',
  secret: 'simulated-corp-secret-0001',
  token: 'WardenTestToken1',
  encodingAesKey: 'WardenTestKey0123456789abcdefghijklmnopqrsT',
} as const

export const EMPLOYEES = [
  'user_a',
  'user_b',
  'zhangsan',
  'mycreate',
  'chenjiashun',
  ...Array.from({ length: 40 }, (_, i) => `user${i}`),
]

export interface Harness {
  app: FastifyInstance
  config: WardenConfig
  sim: WecomSimulator
  smtp: SmtpSink
  callbackApp: CallbackAppConfig
  /** Set when `listen` was asked for: http://127.0.0.1:PORT */
  baseUrl: string
}

export interface HarnessOptions {
  database: string
  /** Keep what an earlier harness left in the database (a restart). */
  keepDatabase?: boolean
  config?: Partial<WardenConfig>
  listen?: boolean
  smtp?: Parameters<typeof startSmtpSink>[0]
  /** Capture the service's JSON logs here (at LOG_LEVEL) instead of silencing them. */
  logStream?: NodeJS.WritableStream
}

interface Closer {
  teardown(fn: () => unknown): void
}

export function testDatabaseUri(database: string): string {
  const base = process.env.WARDEN_TEST_MONGODB_URI ?? process.env.MONGODB_URI
  if (!base)
    throw new Error('run the suite with `npm test` (it starts FerretDB) or set MONGODB_URI')
  const url = new URL(base)
  url.pathname = `/${database}`
  return url.toString()
}

export async function dropDatabase(uri: string): Promise<void> {
  const connection = await mongoose.createConnection(uri).asPromise()
  await connection.dropDatabase()
  await connection.close()
}

/** The real service on a fresh database, with the WeCom simulator and a real SMTP server. */
export async function startHarness(t: Closer, options: HarnessOptions): Promise<Harness> {
  clearTokenCache()
  const uri = testDatabaseUri(options.database)
  if (!options.keepDatabase) await dropDatabase(uri)

  const sim = await startWecomSimulator({
    apps: [{ corpId: TEST_APP.corpId, agentId: TEST_APP.agentId, secret: TEST_APP.secret }],
    users: EMPLOYEES,
  })
  t.teardown(() => sim.close())
  const smtp = await startSmtpSink(options.smtp)
  t.teardown(() => smtp.close())

  const config: WardenConfig = {
    WECOM_CORP_ID: TEST_APP.corpId,
    WECOM_AGENT_ID: TEST_APP.agentId,
    WECOM_SECRET: TEST_APP.secret,
    WECOM_TOKEN: TEST_APP.token,
    WECOM_ENCODING_AES_KEY: TEST_APP.encodingAesKey,
    WECOM_API_BASE: sim.url,
    MONGODB_URI: uri,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'warden@example.com',
    POLICY_FILE: 'config/policy.yaml',
    TEMPLATES_DIR: 'templates',
    CALLBACK_MAX_AGE_SECONDS: 300,
    CALLBACK_BODY_LIMIT_BYTES: 65536,
    NUDGE_DUPLICATE_CHECK_SECONDS: 14400,
    JOBS_POLL_MS: 100,
    ARCHIVE_TIMEZONE: 'Asia/Shanghai',
    ARCHIVE_CHECKPOINT_MINUTES: 60,
    RETENTION_FILE: 'config/retention.yaml',
    MEDIA_MAX_BYTES: 104857600,
    HOST: '127.0.0.1',
    PORT: 0,
    LOG_LEVEL: 'silent',
    ...options.config,
  }
  const app = await buildApp(config, {
    logger: options.logStream !== undefined,
    logStream: options.logStream,
    scheduler: { pollMs: 100, sweepEvery: '2 seconds', sweepGraceMs: 1000, actionLeaseMs: 30_000 },
  })
  t.teardown(() => app.close())

  let baseUrl = ''
  if (options.listen) baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })

  const callbackApp: CallbackAppConfig = {
    token: config.WECOM_TOKEN,
    encodingAesKey: config.WECOM_ENCODING_AES_KEY,
    corpId: config.WECOM_CORP_ID,
    agentId: config.WECOM_AGENT_ID,
  }
  return { app, config, sim, smtp, callbackApp, baseUrl }
}

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
type Falsy = null | undefined | false

export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | Falsy> | T | Falsy,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as T
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
