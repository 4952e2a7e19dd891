import mongoose, { type Connection } from 'mongoose'
import t, { type Test } from 'tap'
import { appendMessageRecords, type NewMessageRecord } from '../src/archive/archive-message.js'
import { openArchive } from '../src/archive/open-archive.js'
import { runWarden } from './helpers/cli.js'
import { dropDatabase, testDatabaseUri } from './helpers/harness.js'
import { gamblingRule, REVIEW_RULE } from './helpers/policy.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const NOW = Date.now()

const CURRENT_POLICY = ['rules:', ...gamblingRule('赌博'), ...REVIEW_RULE, ''].join('\n')
// The draft adds 下注 to the gambling rule and drops the bonus rule.
const DRAFT_POLICY = ['rules:', ...gamblingRule('赌博, 下注'), ''].join('\n')
const BROKEN_POLICY = ['rules:', '  - id: no-gambling', '    keywords: 赌博', ''].join('\n')

type NewMessage = NewMessageRecord

function buildMessage(msgId: string, fromUser: string, content: string | null, age: number) {
  const receivedAt = new Date(NOW - age)
  const record: NewMessage = {
    dedupeKey: `app-callback:ww0001:1000002:${fromUser}:${msgId}`,
    msgId,
    hasWecomMsgId: true,
    channel: 'app-callback',
    kind: content === null ? 'event' : 'message',
    msgType: content === null ? 'event' : 'text',
    event: content === null ? 'enter_agent' : null,
    corpId: 'ww0001',
    agentId: '1000002',
    fromUser,
    content,
    createTime: receivedAt,
    receivedAt,
    rawXml: `<xml><MsgId>${msgId}</MsgId></xml>`,
    rawXmlEncoding: 'utf8',
    fields: { MsgId: msgId },
    chatId: null,
    sender: null,
    relatesTo: null,
    relation: null,
    processing: { state: 'evaluated', policyVersion: 'abc123abc123', evaluatedAt: receivedAt },
  }
  return record
}

const MESSAGES = [
  buildMessage('m-bet-tonight', 'user_a', '今晚去下注吗', HOUR),
  buildMessage('m-bet-phone', 'user_b', '我在下注，打 13800138000 联系我', 2 * DAY),
  buildMessage('m-gamble', 'user_a', '周末去赌博', 3 * HOUR),
  buildMessage('m-meeting', 'user_b', '明天上午十点开会', 4 * HOUR),
  buildMessage('m-bonus', 'zhangsan', 'bonus 发了吗', 5 * HOUR),
  buildMessage('m-bet-old', 'user_a', '下注吗', 10 * DAY),
  buildMessage('m-event', 'user_a', null, HOUR),
]

function run(argv: string[], env: Record<string, string>) {
  return runWarden(['policy', 'backtest', ...argv], env)
}

function writePolicies(t: Test) {
  const dir = t.testdir({
    'current.yaml': CURRENT_POLICY,
    'draft.yaml': DRAFT_POLICY,
    'broken.yaml': BROKEN_POLICY,
  })
  return {
    current: `${dir}/current.yaml`,
    draft: `${dir}/draft.yaml`,
    broken: `${dir}/broken.yaml`,
  }
}

/** Everything a write could touch: collections, their indexes and every document. */
async function snapshotDatabase(connection: Connection): Promise<string> {
  const db = connection.db
  if (!db) throw new Error('not connected')
  const names = (await db.listCollections().toArray()).map((info) => info.name).sort()
  const collections = []
  for (const name of names) {
    const collection = db.collection(name)
    const indexes = (await collection.indexes()).map((index) => index.name).sort()
    const documents = await collection.find().sort({ _id: 1 }).toArray()
    collections.push({ name, indexes, documents })
  }
  return JSON.stringify(collections)
}

const uri = testDatabaseUri('cli_backtest')
await dropDatabase(uri)
const connection = await mongoose.createConnection(uri).asPromise()
t.teardown(() => connection.close())
const { archive } = await openArchive(connection, 'Asia/Shanghai')
await archive.messages.createIndexes()
await appendMessageRecords(archive, MESSAGES)
const snapshotBefore = await snapshotDatabase(connection)
const env = { MONGODB_URI: uri }

t.test('lists exactly the messages a new draft keyword turns from PASS to FLAG', async (t) => {
  const policies = writePolicies(t)
  const result = await run(['--current', policies.current, '--policy', policies.draft], env)
  t.equal(result.code, 0, result.stderr)
  t.equal(result.stderr, '')

  const changeLines = result.stdout.split('\n').filter((line) => line.startsWith('m-'))
  t.same(
    changeLines.map((line) => line.split('  ').slice(0, 4)),
    [
      ['m-bet-phone', 'user_b', 'PASS → FLAG', '+no-gambling'],
      ['m-bonus', 'zhangsan', 'REVIEW → PASS', '-mentions-bonus'],
      ['m-bet-tonight', 'user_a', 'PASS → FLAG', '+no-gambling'],
    ],
    'oldest first; unchanged, too old and text-less messages are left out',
  )
  t.match(changeLines[0], /"我在下注，打 138\*\*\*\*8000 联系我"$/, 'numbers are masked')
  t.notMatch(result.stdout, /13800138000/)
  t.match(result.stdout, /^scanned 5 messages, 3 changed$/m)
  t.match(result.stdout, /^ {2}PASS→FLAG: 2$/m)
  t.match(result.stdout, /^ {2}REVIEW→PASS: 1$/m)
  t.match(result.stdout, /^rules gaining hits \(messages\): no-gambling \+2$/m)
  t.match(result.stdout, /^rules losing hits \(messages\): mentions-bonus -1$/m)
})

t.test('prints one JSON object with scanned, changed, transitions and changes', async (t) => {
  const policies = writePolicies(t)
  const argv = ['--current', policies.current, '--policy', policies.draft, '--json']
  const result = await run(argv, env)
  t.equal(result.code, 0, result.stderr)
  t.equal(result.stdout.trim().split('\n').length, 1, 'one line of output')
  const report = JSON.parse(result.stdout)
  t.same(Object.keys(report), ['scanned', 'changed', 'transitions', 'changes'])
  t.same(report, {
    scanned: 5,
    changed: 3,
    transitions: { 'PASS→FLAG': 2, 'REVIEW→PASS': 1 },
    changes: [
      {
        msgId: 'm-bet-phone',
        fromUser: 'user_b',
        before: 'PASS',
        after: 'FLAG',
        added: ['no-gambling'],
        removed: [],
      },
      {
        msgId: 'm-bonus',
        fromUser: 'zhangsan',
        before: 'REVIEW',
        after: 'PASS',
        added: [],
        removed: ['mentions-bonus'],
      },
      {
        msgId: 'm-bet-tonight',
        fromUser: 'user_a',
        before: 'PASS',
        after: 'FLAG',
        added: ['no-gambling'],
        removed: [],
      },
    ],
  })
})

t.test('--since leaves out messages received before the window', async (t) => {
  const policies = writePolicies(t)
  const base = ['--current', policies.current, '--policy', policies.draft, '--json']
  const day = JSON.parse((await run([...base, '--since', '1d'], env)).stdout)
  t.equal(day.scanned, 4, 'the 2-day-old and 10-day-old messages are out')
  t.same(
    day.changes.map((change: { msgId: string }) => change.msgId),
    ['m-bonus', 'm-bet-tonight'],
  )

  const hours = JSON.parse((await run([...base, '--since', '2h'], env)).stdout)
  t.same(
    hours.changes.map((change: { msgId: string }) => change.msgId),
    ['m-bet-tonight'],
  )

  const twoWeeks = JSON.parse((await run([...base, '--since', '2w'], env)).stdout)
  t.equal(twoWeeks.scanned, 6)
  t.equal(twoWeeks.transitions['PASS→FLAG'], 3, 'the 10-day-old 下注 is back in')
})

t.test('--limit stops after that many messages, oldest first', async (t) => {
  const policies = writePolicies(t)
  const argv = ['--current', policies.current, '--policy', policies.draft, '--json']
  const report = JSON.parse((await run([...argv, '--limit', '2'], env)).stdout)
  t.equal(report.scanned, 2)
  t.same(
    report.changes.map((change: { msgId: string }) => change.msgId),
    ['m-bet-phone', 'm-bonus'],
  )
})

t.test('without a draft the current policy from POLICY_FILE is compared with itself', async (t) => {
  const policies = writePolicies(t)
  const result = await run([], { ...env, POLICY_FILE: policies.current })
  t.equal(result.code, 0, result.stderr)
  t.match(result.stdout, `current: ${policies.current}`)
  t.match(result.stdout, /the draft is the current policy: no verdict can change/)
  t.match(result.stdout, /^scanned 5 messages, 0 changed$/m)
})

t.test('usage mistakes exit 2 and a missing MONGODB_URI is one of them', async (t) => {
  const policies = writePolicies(t)
  const missing = await run(['--current', policies.current], {})
  t.equal(missing.code, 2)
  t.match(missing.stderr, /MONGODB_URI must name the archive database/)
  t.match(missing.stderr, /Usage: warden policy backtest/)

  for (const since of ['7', '7m', '0d', '-1d', 'd']) {
    const result = await run(['--current', policies.current, `--since=${since}`], env)
    t.equal(result.code, 2, `--since ${since} is refused`)
    t.match(result.stderr, /--since expects Nh, Nd or Nw/)
  }
  for (const limit of ['0', '-3', 'ten', '1.5']) {
    const result = await run(['--current', policies.current, `--limit=${limit}`], env)
    t.equal(result.code, 2, `--limit ${limit} is refused`)
  }
  const stray = await run(['--current', policies.current, 'text'], env)
  t.equal(stray.code, 2)
})

t.test('an invalid draft exits 1 before the archive is read', async (t) => {
  const policies = writePolicies(t)
  const result = await run(['--current', policies.current, '--policy', policies.broken], env)
  t.equal(result.code, 1)
  t.match(result.stderr, /^WARDEN_POLICY_INVALID: /)
  t.match(result.stderr, 'broken.yaml')
  t.equal(result.stdout, '')
})

t.test('an unreachable archive exits 1 without printing the URI or its password', async (t) => {
  const policies = writePolicies(t)
  const secretUri = 'mongodb://warden:hunter2-secret@127.0.0.1:1/archive'
  const result = await run(['--current', policies.current], { MONGODB_URI: secretUri })
  t.equal(result.code, 1)
  t.match(result.stderr, /^WARDEN_ARCHIVE_UNAVAILABLE: archive is unavailable/m)
  t.notMatch(result.stderr + result.stdout, /hunter2|warden:|127\.0\.0\.1:1/)
})

t.test('reports progress on stderr every 10 000 messages of a long run', async (t) => {
  const policies = writePolicies(t)
  const bulkUri = testDatabaseUri('cli_backtest_bulk')
  await dropDatabase(bulkUri)
  const bulk = await mongoose.createConnection(bulkUri).asPromise()
  t.teardown(() => bulk.close())
  const texts = ['明天开会', '去下注吗', 'bonus 发了吗']
  const records = Array.from({ length: 10_001 }, (_, i) =>
    buildMessage(`bulk-${i}`, `user${i % 40}`, texts[i % 3] ?? '', HOUR + i),
  )
  await appendMessageRecords((await openArchive(bulk, 'Asia/Shanghai')).archive, records)

  const argv = ['--current', policies.current, '--policy', policies.draft, '--json']
  const result = await run(argv, { MONGODB_URI: bulkUri })
  t.equal(result.code, 0, result.stderr)
  t.equal(result.stderr, '… 10000 messages scanned, 6667 changed\n')
  const report = JSON.parse(result.stdout)
  t.equal(report.scanned, 10_001)
  t.same(report.transitions, { 'PASS→FLAG': 3334, 'REVIEW→PASS': 3333 })
})

t.test('the archive is exactly as it was after every backtest above', async (t) => {
  t.equal(await snapshotDatabase(connection), snapshotBefore)
  t.equal(await archive.messages.countDocuments(), MESSAGES.length)
})

t.test('a backtest of an empty archive creates neither collection nor index', async (t) => {
  const policies = writePolicies(t)
  const emptyUri = testDatabaseUri('cli_backtest_empty')
  await dropDatabase(emptyUri)
  const result = await run(['--current', policies.current, '--json'], { MONGODB_URI: emptyUri })
  t.equal(result.code, 0, 'exits 0')
  t.same(JSON.parse(result.stdout), { scanned: 0, changed: 0, transitions: {}, changes: [] })

  const empty = await mongoose.createConnection(emptyUri).asPromise()
  t.teardown(() => empty.close())
  t.equal(await snapshotDatabase(empty), '[]')
})
