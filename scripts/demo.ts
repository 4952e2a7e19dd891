/**
 * The main job, end to end on one machine: the service, the WeCom simulator and a real SMTP
 * sink; a short conversation arrives as encrypted, signed callbacks; then what was archived,
 * the violation, the employee's nudge and the supervisor's email are printed.
 */
import { spawnSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import mongoose from 'mongoose'
import { buildApp } from '../src/app.js'
import { ChainAppender } from '../src/archive/chain/chain-appender.js'
import { chainCollections, MESSAGE_CHAIN } from '../src/archive/chain/chain-spec.js'
import { writeCheckpoint } from '../src/archive/chain/checkpoint.js'
import { readSigningKey } from '../src/archive/chain/signing-key.js'
import { runCli } from '../src/cli/run.js'
import type { WardenConfig } from '../src/config/env-schema.js'
import {
  type BuiltCallback,
  buildMessageCallback,
  buildUrlVerification,
  deliverCallback,
  eventXml,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { startSmtpSink } from '../src/simulator/smtp-sink.js'
import { startWecomSimulator } from '../src/simulator/wecom-simulator.js'

const DEMO_DATABASE = 'wecom_warden_demo'
const CORP_ID = 'ww7d1c0a5e3f2b4d6e'
const AGENT_ID = '1000002'
const SECRET = randomAlnum(43)
const CONVERSATION = [
  { from: 'zhangsan', text: '明天下午三点开会，请准备好季度报告。' },
  { from: 'lisi', text: 'Please send me the Q3 deck before Friday.' },
  // A zero-width space and a traditional character, as people use to slip past filters.
  { from: 'wangwu', text: '周末一起去澳门賭\u200b博吧，稳赚不赔！' },
  { from: 'lisi', text: '客户说有事加我ＶＸ：138 0013 8000' },
  { from: 'zhangsan', text: '收到，我会把会议纪要发到群里。' },
]

function randomAlnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('')
}

/** Pads to a terminal column, counting CJK and full-width characters as two columns. */
function padColumns(text: string, columns: number): string {
  let width = 0
  for (const char of text)
    width +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(
        char,
      )
        ? 2
        : 1
  return text + ' '.repeat(Math.max(1, columns - width))
}

function section(title: string): void {
  process.stdout.write(`\n== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}\n`)
}

/**
 * The demo always works in its own database, `wecom_warden_demo`, which it empties first: on a
 * MONGODB_URI of yours only the server is used, never the database the URI names.
 */
function startDatabase(): { uri: string; stop: () => void } {
  let server = process.env.MONGODB_URI
  let startedHere = false
  if (!server) {
    const started = spawnSync('bash', ['scripts/ferretdb.sh', 'start'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const line = started.stdout.split('\n').find((l) => l.startsWith('MONGODB_URI='))
    if (started.status !== 0 || !line) throw new Error('FerretDB did not start; set MONGODB_URI')
    server = line.slice('MONGODB_URI='.length)
    startedHere = started.stdout.includes('FERRETDB_STARTED=1')
  }
  const url = new URL(server)
  url.pathname = `/${DEMO_DATABASE}`
  return {
    uri: url.toString(),
    stop: () => {
      if (startedHere) spawnSync('bash', ['scripts/ferretdb.sh', 'stop'], { stdio: 'inherit' })
    },
  }
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return true
}

async function main(): Promise<void> {
  const database = startDatabase()
  const reset = await mongoose.createConnection(database.uri).asPromise()
  await reset.dropDatabase()
  await reset.close()

  const sim = await startWecomSimulator({
    apps: [{ corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET }],
    users: ['zhangsan', 'lisi', 'wangwu'],
  })
  const smtp = await startSmtpSink()
  // A fresh checkpoint key per demo run; operators keep theirs in the env file.
  const signingKey = generateKeyPairSync('ed25519')
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString()
  const config: WardenConfig = {
    WECOM_CORP_ID: CORP_ID,
    WECOM_AGENT_ID: AGENT_ID,
    WECOM_SECRET: SECRET,
    WECOM_TOKEN: randomAlnum(32),
    WECOM_ENCODING_AES_KEY: randomAlnum(43),
    WECOM_API_BASE: sim.url,
    MONGODB_URI: database.uri,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'wecom-warden@example.com',
    POLICY_FILE: process.env.POLICY_FILE ?? 'config/policy.yaml',
    TEMPLATES_DIR: 'templates',
    CALLBACK_MAX_AGE_SECONDS: 300,
    CALLBACK_BODY_LIMIT_BYTES: 65536,
    NUDGE_DUPLICATE_CHECK_SECONDS: 14400,
    JOBS_POLL_MS: 200,
    ARCHIVE_TIMEZONE: 'Asia/Shanghai',
    ARCHIVE_CHECKPOINT_MINUTES: 60,
    RETENTION_FILE: 'config/retention.yaml',
    MEDIA_MAX_BYTES: 104857600,
    ARCHIVE_SIGNING_KEY: signingKey,
    HOST: '127.0.0.1',
    PORT: 0,
    LOG_LEVEL: (process.env.LOG_LEVEL as WardenConfig['LOG_LEVEL']) ?? 'warn',
  }
  const app = await buildApp(config)
  const serviceUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  const callbackApp = {
    token: config.WECOM_TOKEN,
    encodingAesKey: config.WECOM_ENCODING_AES_KEY,
    corpId: CORP_ID,
    agentId: AGENT_ID,
  }

  section('WeCom verifies the callback URL')
  const verify = buildUrlVerification(
    callbackApp,
    String(BigInt(`0x${randomBytes(7).toString('hex')}`)),
  )
  const verified = await fetch(`${serviceUrl}/wecom/callback?${verify.query}`)
  process.stdout.write(`GET /wecom/callback -> ${verified.status} "${await verified.text()}"\n`)

  section('A conversation arrives as encrypted, signed callbacks')
  const acks: number[] = []
  const send = async (label: string, built: BuiltCallback) => {
    const result = await deliverCallback(serviceUrl, built)
    acks.push(result.ms)
    const body = result.body === '' ? 'empty body' : JSON.stringify(result.body)
    process.stdout.write(
      `${padColumns(label, 58)}-> ${result.status} ${body}, ${result.ms.toFixed(1)} ms\n`,
    )
  }
  let violating: BuiltCallback | null = null
  let msgId = 7_300_000_000_000_000_000n
  for (const line of CONVERSATION) {
    msgId += 1n
    const xml = textMessageXml({
      corpId: CORP_ID,
      fromUser: line.from,
      content: line.text,
      msgId: msgId.toString(),
      agentId: AGENT_ID,
      createTime: Math.floor(Date.now() / 1000),
    })
    const built = buildMessageCallback(callbackApp, xml)
    if (line.from === 'wangwu') violating = built
    await send(`${line.from}: ${line.text}`, built)
  }
  const event = eventXml({
    corpId: CORP_ID,
    fromUser: 'lisi',
    event: 'brand_new_event',
    agentId: AGENT_ID,
    createTime: Math.floor(Date.now() / 1000),
    extra: { EventKey: 'something-wecom-added-later' },
  })
  await send(
    'event of a type nobody knows yet (brand_new_event)',
    buildMessageCallback(callbackApp, event),
  )
  if (violating) {
    await send('WeCom retries the violating callback (2nd delivery)', violating)
    await send('WeCom retries the violating callback (3rd delivery)', violating)
  }

  const settled = await waitFor(async () => {
    const pending = await app.warden.models.actions.countDocuments({ status: 'pending' })
    const total = await app.warden.models.actions.countDocuments({})
    return total > 0 && pending === 0 && smtp.mails().length > 0
  }, 20_000)

  section('Archived (collection "messages")')
  const archived = await app.warden.models.messages.find({}).sort({ seq: 1 }).lean()
  for (const m of archived) {
    const what = m.kind === 'event' ? `event ${m.event}` : `${m.msgType} "${m.content ?? ''}"`
    const who = m.sender?.name ? `${m.fromUser} (${m.sender.name})` : (m.fromUser ?? '-')
    process.stdout.write(`#${m.seq} ${m.msgId.slice(0, 22).padEnd(22)} ${who.padEnd(16)} ${what}\n`)
  }
  process.stdout.write(`${archived.length} records for ${CONVERSATION.length + 3} deliveries\n`)

  section('Violations (collection "violations")')
  for (const v of await app.warden.models.violations.find({}).lean()) {
    process.stdout.write(
      `${v.ruleId} v${v.ruleVersion} ${v.severity}/${v.verdict} by ${v.fromUser}: ` +
        `"${v.matchedText.replaceAll('\u200b', '<U+200B>')}" at [${v.start}, ${v.end}) ` +
        `in msg ${v.msgId}${v.steps.length ? ` (normalised by: ${v.steps.join(', ')})` : ''}\n`,
    )
  }

  section('Nudge the employee received in WeCom (simulator inbox)')
  for (const m of sim.delivered()) process.stdout.write(`to ${m.toUser}:\n${m.content}\n`)

  section('Email the supervisor received (SMTP sink)')
  for (const mail of smtp.mails()) {
    process.stdout.write(`To: ${mail.envelopeTo.join(', ')}\nSubject: ${mail.parsed.subject}\n\n`)
    process.stdout.write(`${mail.parsed.text ?? ''}\n`)
  }

  section('The archive is tamper-evident (warden verify, with a signed checkpoint)')
  const { records, tips, checkpoints } = chainCollections(app.warden.connection, MESSAGE_CHAIN)
  const tip = await new ChainAppender(MESSAGE_CHAIN, records, tips).readTip()
  await writeCheckpoint(checkpoints, MESSAGE_CHAIN.name, tip, readSigningKey(signingKey))
  const cliEnv = {
    MONGODB_URI: database.uri,
    ARCHIVE_SIGNING_KEY: signingKey,
    WARDEN_ACTOR: 'demo',
  }
  const io = {
    stdout: { write: (chunk: string) => process.stdout.write(chunk) },
    stderr: { write: (_chunk: string) => true },
    env: cliEnv,
  }
  const intact = (await runCli(['verify', '--quiet'], io)) === 0

  section('A compliance officer searches the archive (warden search 赌)')
  await runCli(['search', '赌', '--context', '0'], io)

  section('Measured')
  const sorted = [...acks].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0
  process.stdout.write(
    `callback ack latency over ${acks.length} deliveries: median ${median.toFixed(1)} ms, ` +
      `max ${(sorted.at(-1) ?? 0).toFixed(1)} ms ` +
      '(decrypt + durable write, before any policy work)\n',
  )
  process.stdout.write(
    `nudges sent: ${sim.delivered().length}, emails sent: ${smtp.mails().length}` +
      `${settled ? '' : ' (actions did not settle within 20 s)'}\n`,
  )

  await app.close()
  await smtp.close()
  await sim.close()
  database.stop()
  process.exit(settled && intact ? 0 : 1)
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
