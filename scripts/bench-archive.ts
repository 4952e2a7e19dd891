/**
 * `npm run bench:archive`: loads synthetic messages into a benchmark database (1,000,000 by
 * default; BENCH_ARCHIVE_MESSAGES to change; database `wecom_warden_bench_archive_<N>`, kept
 * between runs so that a re-run skips the load) and measures what an operator waits for: search
 * p95 for typical queries, export throughput and `warden verify` throughput, each beside a plain
 * find() doing the same reading in the same run. MONGODB_URI names the server; without it
 * FerretDB is started.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mongoose, { type Connection, Types } from 'mongoose'
import { appendMessageRecords, type NewMessageRecord } from '../src/archive/archive-message.js'
import { chainCollections, MESSAGE_CHAIN } from '../src/archive/chain/chain-spec.js'
import { verifyChain } from '../src/archive/chain/verify-chain.js'
import { serverReadsIndexes } from '../src/archive/index-reads.js'
import { initModels } from '../src/archive/models.js'
import { openArchive } from '../src/archive/open-archive.js'
import { dayOf } from '../src/archive/search-keys.js'
import { benchExport, benchSearches } from './bench-archive-queries.js'

const TOTAL = Number(process.env.BENCH_ARCHIVE_MESSAGES ?? 1_000_000)
/** Parts to leave out, comma-separated: search, export, verify (a 1M verify reads for long). */
const SKIP = new Set((process.env.BENCH_ARCHIVE_SKIP ?? '').split(',').map((part) => part.trim()))
const DATABASE = `wecom_warden_bench_archive_${TOTAL}`
const DAYS = 365
const USERS = 2000
const CHATS = 400
const BATCH = 5000
const TIME_ZONE = 'Asia/Shanghai'
const START = Date.parse('2025-12-01T00:00:00Z')

const PHRASES = [
  '明天上午十点开会，请准备季度报告',
  '昨天的转账记录发我一下',
  '客户说合同价格还要再谈',
  'Please send the signed contract by Friday',
  '下午三点电话会议，记得带上数据',
  '这个项目的预算需要重新审核',
  'Let us move the meeting to next week',
  '收到，我马上处理',
  '发票已经寄出，请注意查收',
  'The quarterly numbers look good so far',
  '周末加班的同事请登记一下',
  '新产品发布会定在下个月',
]

/** Set when this run started FerretDB through scripts/ferretdb.sh (and may tend its PostgreSQL). */
let ownFerretDb = false

function uri(): string {
  if (process.env.MONGODB_URI) {
    const url = new URL(process.env.MONGODB_URI)
    url.pathname = `/${DATABASE}`
    return url.toString()
  }
  const started = spawnSync('bash', ['scripts/ferretdb.sh', 'start'], { encoding: 'utf8' })
  const line = started.stdout.split('\n').find((l) => l.startsWith('MONGODB_URI='))
  if (!line) throw new Error(`could not start FerretDB:\n${started.stderr}`)
  ownFerretDb = true
  const url = new URL(line.slice('MONGODB_URI='.length))
  url.pathname = `/${DATABASE}`
  return url.toString()
}

/** Message i of the synthetic archive: deterministic, so a re-run finds the same data. */
export function syntheticMessage(i: number): NewMessageRecord {
  const at = new Date(START + Math.floor((i / TOTAL) * DAYS * 86_400_000))
  const user = `user${(i * 7919) % USERS}`
  const chat = i % 3 === 0 ? null : `chat${(i * 104729) % CHATS}`
  const text = `${PHRASES[i % PHRASES.length]} #${i}${i % 97 === 0 ? ' 转账到私人账户' : ''}`
  const msgId = String(7_000_000_000_000_000_000n + BigInt(i))
  return {
    _id: new Types.ObjectId(),
    dedupeKey: `bench:ww0000:1000002:${user}:${msgId}`,
    msgId,
    hasWecomMsgId: true,
    channel: 'app-callback',
    kind: 'message',
    msgType: 'text',
    event: null,
    corpId: 'ww0000',
    agentId: '1000002',
    fromUser: user,
    content: text,
    createTime: at,
    receivedAt: at,
    rawXml: `<xml><FromUserName><![CDATA[${user}]]></FromUserName><Content><![CDATA[${text}]]></Content><MsgId>${msgId}</MsgId></xml>`,
    rawXmlEncoding: 'utf8',
    fields: { MsgId: msgId },
    chatId: chat,
    sender: {
      userId: user,
      name: `员工${(i * 7919) % USERS}`,
      departments: [1 + (i % 12)],
      mainDepartment: 1 + (i % 12),
      position: null,
      source: 'cache',
      errcode: null,
      fetchedAt: at,
    },
    relatesTo: null,
    relation: null,
    processing: { state: 'evaluated', policyVersion: 'bench', evaluatedAt: at },
  }
}

async function load(connection: Connection): Promise<void> {
  const { archive } = await openArchive(connection, TIME_ZONE)
  await archive.messages.createIndexes()
  const models = await initModels(connection)
  // The chain's tip says how many records there are (a count would read them all on FerretDB).
  const present = (await archive.chain.readTip()).seq
  if (present >= TOTAL) {
    log(`archive already holds ${present} messages: not loading`)
    return
  }
  if (present > 0) throw new Error(`${DATABASE} holds ${present} of ${TOTAL}: drop it and re-run`)
  const started = performance.now()
  let ruleHits = 0
  for (let from = 0; from < TOTAL; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, TOTAL - from) }, (_, k) =>
      syntheticMessage(from + k),
    )
    await appendMessageRecords(archive, batch)
    // One message in 97 carries a rule hit, for the rule-hit search.
    const hits = batch.filter((message) => message.content?.includes('转账到私人账户'))
    await models.violations.insertMany(hits.map(violationOf))
    ruleHits += hits.length
    if ((from / BATCH) % 20 === 0) {
      const rate = Math.round((from + batch.length) / ((performance.now() - started) / 1000))
      log(`loaded ${from + batch.length}/${TOTAL} (${rate}/s)`)
    }
  }
  log(`loaded ${TOTAL} messages and ${ruleHits} rule hits in ${seconds(started)} s`)
  if (ownFerretDb) {
    // Statistics for the loaded tables (ferretdb-gin.sql analyses tables that changed much).
    spawnSync('bash', ['scripts/ferretdb.sh', 'gin'], { stdio: 'inherit' })
  }
}

function violationOf(message: NewMessageRecord) {
  return {
    key: `${message._id?.toHexString()}:no-private-transfer`,
    messageId: message._id,
    msgId: message.msgId,
    channel: 'app-callback',
    fromUser: message.fromUser,
    ruleId: 'no-private-transfer',
    ruleVersion: 1,
    policyVersion: 'bench',
    description: 'Transfers to private accounts',
    severity: 'high',
    verdict: 'FLAG',
    actions: ['escalate'],
    escalateTo: ['compliance@example.com'],
    matchedText: '转账到私人账户',
    start: 0,
    end: 7,
    normalised: '转账到私人账户',
    reason: null,
    steps: [],
    context: '转账到私人账户',
    matches: [],
    createdAt: message.createTime ?? message.receivedAt,
    day: dayOf(message.createTime ?? message.receivedAt, TIME_ZONE),
  }
}

async function benchVerify(connection: Connection): Promise<void> {
  const collections = chainCollections(connection, MESSAGE_CHAIN)
  let started = performance.now()
  let baseline = 0
  for await (const _doc of collections.records.find({}, { batchSize: 2000 })) baseline++
  const baselineRate = baseline / ((performance.now() - started) / 1000)
  started = performance.now()
  const report = await verifyChain(MESSAGE_CHAIN, collections, { publicKey: null })
  const rate = report.records / ((performance.now() - started) / 1000)
  log(
    `verify: ${Math.round(rate)} records/s (intact: ${report.intact}); plain find() of the same ` +
      `records ${Math.round(baselineRate)} docs/s → ${(rate / baselineRate).toFixed(2)}× the read alone`,
  )
  // The verifier's own cost, without the database: hash and link checks over records in memory.
  const sample = await collections.records.find({}).limit(20_000).toArray()
  const { contentHashOf, linkHash } = await import('../src/archive/chain/canonical-record.js')
  started = performance.now()
  for (const doc of sample) {
    contentHashOf(doc, MESSAGE_CHAIN.excluded)
    linkHash('messages', doc.seq, doc.prevHash, doc.contentHash)
  }
  log(
    `verify CPU alone (records already in memory): ${Math.round(sample.length / ((performance.now() - started) / 1000))} records/s`,
  )
}

/** Which server, and whether it answers equalities from indexes (decides the query plans). */
async function describeServer(connection: Connection): Promise<void> {
  const db = connection.db
  if (!db) return
  const info = await db.admin().command({ buildInfo: 1 })
  const server =
    typeof info.ferretdbVersion === 'string'
      ? `FerretDB ${info.ferretdbVersion}`
      : `MongoDB ${String(info.version)}`
  const indexReads = await serverReadsIndexes(db)
  log(
    `server: ${server}; equality lookups ${indexReads ? 'read indexes' : 'scan the collection'}` +
      (typeof info.ferretdbVersion === 'string' && !indexReads
        ? ' (run scripts/ferretdb.sh gin: see README)'
        : ''),
  )
}

function seconds(started: number): string {
  return ((performance.now() - started) / 1000).toFixed(1)
}

function log(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function main(): Promise<void> {
  const connection = await mongoose
    .createConnection(uri(), { writeConcern: { w: 1 }, autoIndex: false })
    .asPromise()
  try {
    log(`bench:archive — ${TOTAL} messages over ${DAYS} days, ${USERS} users, ${CHATS} chats`)
    await load(connection)
    await describeServer(connection)
    if (!SKIP.has('search')) await benchSearches(connection, { timeZone: TIME_ZONE, log })
    if (!SKIP.has('export')) {
      const dir = mkdtempSync(join(tmpdir(), 'warden-bench-export-'))
      try {
        await benchExport(connection, {
          timeZone: TIME_ZONE,
          log,
          dir,
          total: TOTAL,
          days: DAYS,
          start: START,
        })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
    if (!SKIP.has('verify')) await benchVerify(connection)
  } finally {
    await connection.close()
  }
}

await main()
