import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { chainCollections, MESSAGE_CHAIN } from '../src/archive/chain/chain-spec.js'
import { initModels } from '../src/archive/models.js'
import { isWardenError } from '../src/errors/warden-error.js'
import { runDisposition } from '../src/retention/dispose.js'
import { covers } from '../src/retention/legal-holds.js'
import { loadRetentionFile, parseRetention } from '../src/retention/retention-rules.js'
import { type ArchiveFixture, archiveText, openTestArchive, runWarden } from './helpers/archive.js'
import { auditEntries } from './helpers/search-fixtures.js'

const YEAR = 365 * 86_400_000
const EIGHT_YEARS_AGO = new Date(Date.now() - 8 * YEAR)

function retentionFile(text: string): string {
  const file = join(
    tmpdir(),
    `warden-retention-${process.pid}-${Math.random().toString(16).slice(2)}.yaml`,
  )
  writeFileSync(file, text)
  return file
}

const SEVEN_YEARS = retentionFile(
  'default: 7y\nrules:\n  - id: policy-hits\n    match: { ruleHit: true }\n    keep: 10y\n',
)

async function seedOldAndNew(fixture: ArchiveFixture) {
  const old = []
  for (let i = 0; i < 4; i++) {
    const user = i % 2 === 0 ? 'user_a' : 'user_b'
    const at = new Date(EIGHT_YEARS_AGO.getTime() + i * 3_600_000)
    old.push(await archiveText(fixture, `95000000000000000${i}`, user, `旧消息 ${i}`, at))
  }
  const recent = await archiveText(fixture, '9500000000000000099', 'user_a', '新消息')
  return { old, recent }
}

function env(fixture: ArchiveFixture) {
  return { MONGODB_URI: fixture.uri, RETENTION_FILE: SEVEN_YEARS, WARDEN_ACTOR: 'compliance@test' }
}

async function docOf(fixture: ArchiveFixture, id: { toHexString(): string }) {
  const { records } = chainCollections(fixture.connection, MESSAGE_CHAIN)
  return records.findOne({ _id: id as never })
}

t.test(
  'disposition empties expired records to tombstones and the chain still verifies',
  async (t) => {
    const fixture = await openTestArchive(t, 'retention_basic')
    const { old, recent } = await seedOldAndNew(fixture)
    const run = await runWarden(['retention', 'run', '--json'], env(fixture))
    t.equal(run.code, 0, run.stderr)
    t.equal(JSON.parse(run.stdout).disposed, 4)

    const gone = await docOf(fixture, old[0]?.id as never)
    t.ok(gone?.tombstone, 'a tombstone stands where the record was')
    t.equal(gone?.content, undefined, 'the content is gone')
    t.equal(gone?.seq, old[0]?.seq, 'the tombstone keeps the place in the chain')
    const kept = await docOf(fixture, recent.id)
    t.equal(kept?.content, '新消息', 'a record younger than its retention is untouched')

    const verify = await runWarden(['verify', '--quiet'], { MONGODB_URI: fixture.uri })
    t.equal(verify.code, 0, verify.stdout)
    t.match(verify.stdout, /4 disposed record\(s\) \(tombstones\)/)
  },
)

t.test('disposition skips records under a legal hold until the hold is released', async (t) => {
  const fixture = await openTestArchive(t, 'retention_hold')
  const { old } = await seedOldAndNew(fixture)
  const add = await runWarden(
    [
      'hold',
      'add',
      '--case',
      'CASE-2026-17',
      '--reason',
      'regulator inquiry',
      '--user',
      'user_b',
      '--json',
    ],
    env(fixture),
  )
  t.equal(add.code, 0, add.stderr)
  const hold = JSON.parse(add.stdout)
  t.match(hold.holdId, /^hold-[0-9a-f]{10}$/)

  const first = JSON.parse((await runWarden(['retention', 'run', '--json'], env(fixture))).stdout)
  t.equal(first.disposed, 2, "user_a's expired records go")
  t.equal(first.held, 2, "user_b's are held")
  t.equal(
    (await docOf(fixture, old[1]?.id as never))?.content,
    '旧消息 1',
    'held content is intact',
  )
  t.equal((await runWarden(['verify', '--quiet'], { MONGODB_URI: fixture.uri })).code, 0)

  const list = await runWarden(['hold', 'list'], env(fixture))
  t.match(list.stdout, new RegExp(`${hold.holdId}  case CASE-2026-17  in force`))

  const remove = await runWarden(
    ['hold', 'remove', hold.holdId, '--reason', 'inquiry closed'],
    env(fixture),
  )
  t.equal(remove.code, 0, remove.stderr)
  const second = JSON.parse((await runWarden(['retention', 'run', '--json'], env(fixture))).stdout)
  t.equal(second.disposed, 2, 'released records are disposed at the next run')
  t.ok((await docOf(fixture, old[1]?.id as never))?.tombstone)
  t.equal((await runWarden(['verify', '--quiet'], { MONGODB_URI: fixture.uri })).code, 0)

  const audit = await runWarden(['audit', '--json'], env(fixture))
  const actions = JSON.parse(audit.stdout).map((entry: { action: string }) => entry.action)
  t.ok(actions.includes('hold.add') && actions.includes('hold.remove'), 'hold changes are audited')
  t.equal(
    actions.filter((action: string) => action === 'dispose').length,
    2,
    'each disposal is audited',
  )
})

t.test('a dry run counts what would go and changes nothing', async (t) => {
  const fixture = await openTestArchive(t, 'retention_dry')
  const { old } = await seedOldAndNew(fixture)
  const run = JSON.parse(
    (await runWarden(['retention', 'run', '--dry-run', '--json'], env(fixture))).stdout,
  )
  t.equal(run.disposed, 4)
  t.equal(run.dryRun, true)
  t.equal((await docOf(fixture, old[0]?.id as never))?.content, '旧消息 0')
})

t.test('a tombstone made outside a recorded disposal is reported by verify', async (t) => {
  const fixture = await openTestArchive(t, 'retention_forged_tombstone')
  const { old } = await seedOldAndNew(fixture)
  const { records } = chainCollections(fixture.connection, MESSAGE_CHAIN)
  const doc = await records.findOne({ _id: old[2]?.id as never })
  if (!doc) throw new Error('missing record')
  await records.replaceOne(
    { _id: doc._id },
    {
      seq: doc.seq,
      prevHash: doc.prevHash,
      hash: doc.hash,
      contentHash: doc.contentHash,
      dedupeKey: 'x',
      tombstone: { at: new Date() },
    },
  )
  const verify = await runWarden(['verify', '--json', '--quiet'], { MONGODB_URI: fixture.uri })
  t.equal(verify.code, 1)
  const messages = JSON.parse(verify.stdout).chains.find(
    (c: { chain: string }) => c.chain === 'messages',
  )
  t.equal(messages.problems[0].kind, 'tombstone-unrecorded')
  t.equal(messages.problems[0].id, doc._id.toHexString())
})

t.test('retention rules name the place of every mistake', async (t) => {
  const cases: [string, RegExp][] = [
    ['default: 7 years\n', /default must be a duration/],
    [
      'default: 7y\nrules:\n  - id: a\n    keep: 1y\n    match: { colour: red }\n',
      /rules\[0\]\.match: unknown field 'colour'/,
    ],
    [
      'default: 7y\nrules:\n  - id: a\n    keep: 1y\n  - id: a\n    keep: 2y\n',
      /rules\[1\]\.id 'a' is used twice/,
    ],
    ['default: 7y\nretain: 1y\n', /unknown field 'retain'/],
  ]
  for (const [text, message] of cases) {
    try {
      parseRetention(text, 'retention.yaml')
      t.fail(`accepted: ${text}`)
    } catch (err) {
      t.ok(isWardenError(err, 'WARDEN_CONFIG_INVALID'))
      t.match((err as Error).message, message)
    }
  }
  const forever = parseRetention('default: forever\n')
  t.equal(forever.fallback.keepDays, null, "'forever' never disposes")
})

t.test('hold commands refuse what they cannot do', async (t) => {
  const fixture = await openTestArchive(t, 'retention_hold_errors')
  const noCriteria = await runWarden(['hold', 'add', '--case', 'C1', '--reason', 'r'], env(fixture))
  t.equal(noCriteria.code, 2)
  t.match(noCriteria.stderr, /at least one of --user/)
  const badDate = await runWarden(
    ['hold', 'add', '--case', 'C1', '--reason', 'r', '--from', 'yesterday'],
    env(fixture),
  )
  t.equal(badDate.code, 2)
  const unknown = await runWarden(
    ['hold', 'remove', 'hold-0000000000', '--reason', 'r'],
    env(fixture),
  )
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /WARDEN_NOT_FOUND/)
})

t.test('a hold on ZhaoLiu protects the records of zhaoliu (WeCom ids ignore case)', async (t) => {
  const fixture = await openTestArchive(t, 'fixes_retention_hold_case')
  const at = new Date(EIGHT_YEARS_AGO)
  const held = await archiveText(fixture, '9510000000000000001', 'zhaoliu', '旧消息', at)
  await archiveText(fixture, '9510000000000000002', 'wangwu', '旧消息', at)
  const add = await runWarden(
    ['hold', 'add', '--case', 'C-7', '--reason', 'r', '--user', 'ZhaoLiu', '--json'],
    env(fixture),
  )
  t.equal(add.code, 0, add.stderr)
  t.same(JSON.parse(add.stdout).criteria.users, ['ZhaoLiu'], 'the id is stored as given')

  const run = JSON.parse((await runWarden(['retention', 'run', '--json'], env(fixture))).stdout)
  t.equal(run.held, 1, "zhaoliu's record is held")
  t.equal(run.disposed, 1, "wangwu's record goes")
  t.equal((await docOf(fixture, held.id))?.content, '旧消息')
})

t.test('hold days are calendar days in ARCHIVE_TIMEZONE, --to through its end', async (t) => {
  const fixture = await openTestArchive(t, 'fixes_retention_hold_days')
  const add = await runWarden(
    [
      ...['hold', 'add', '--case', 'C-8', '--reason', 'r', '--chat', 'room-1'],
      ...['--from', '2026-10-01', '--to', '2026-10-31', '--json'],
    ],
    { ...env(fixture), ARCHIVE_TIMEZONE: 'Asia/Shanghai' },
  )
  t.equal(add.code, 0, add.stderr)
  const { criteria } = JSON.parse(add.stdout)
  t.equal(criteria.from, '2026-09-30T16:00:00.000Z', 'midnight of 1 October in Shanghai')
  t.equal(criteria.to, '2026-10-31T15:59:59.999Z', 'the last moment of 31 October in Shanghai')

  const hold = { ...criteria, from: new Date(criteria.from), to: new Date(criteria.to) }
  const late = { fromUser: 'u', chatId: 'room-1', at: new Date('2026-10-31T23:30:00+08:00') }
  const early = { fromUser: 'u', chatId: 'room-1', at: new Date('2026-10-01T00:10:00+08:00') }
  const after = { fromUser: 'u', chatId: 'room-1', at: new Date('2026-11-01T00:00:00+08:00') }
  t.ok(covers(hold, late), 'late on the last day is covered')
  t.ok(covers(hold, early), 'just after midnight on the first day is covered')
  t.notOk(covers(hold, after), 'the next day is not')

  const help = await runWarden(['hold', 'add', '--help'])
  t.match(help.stdout, /ARCHIVE_TIMEZONE/)
  t.notMatch(help.stdout, /UTC/)
})

t.test('hold add refuses impossible days, --all with criteria, and empty ids', async (t) => {
  const fixture = await openTestArchive(t, 'fixes_retention_hold_usage')
  const base = ['hold', 'add', '--case', 'C-9', '--reason', 'r']
  const cases: [string[], RegExp][] = [
    [['--from', '2026-02-30'], /--from must be a day/],
    [['--user', 'u', '--to', '2026-04-31'], /--to must be a day/],
    [['--from', '2026-02-28T25:00:00Z'], /--from must be a day/],
    [['--all', '--user', 'u'], /--all covers everything/],
    [['--all', '--from', '2026-01-01'], /--all covers everything/],
    [['--user', ''], /--user needs an id/],
    [['--chat', ' '], /--chat needs an id/],
    [['--user', 'u', '--user', ''], /--user needs an id/],
  ]
  for (const [extra, message] of cases) {
    const run = await runWarden([...base, ...extra], env(fixture))
    t.equal(run.code, 2, `${extra.join(' ')} is a usage error`)
    t.match(run.stderr, message)
  }
  const list = await runWarden(['hold', 'list', '--json'], env(fixture))
  t.same(JSON.parse(list.stdout), [], 'no hold was placed')
  t.rejects(
    fixture.holds.add({
      caseId: 'C',
      reason: 'r',
      actor: 'a',
      criteria: { users: ['u'], chats: [], from: null, to: null, all: true },
    }),
    /covers everything/,
    'the library refuses what the command line refuses',
  )
})

t.test('retention run records its actor, the retention file and the rules', async (t) => {
  const fixture = await openTestArchive(t, 'fixes_retention_actor')
  await seedOldAndNew(fixture)
  const run = await runWarden(['retention', 'run', '--actor', 'records-officer'], env(fixture))
  t.equal(run.code, 0, run.stderr)

  const [entry] = await auditEntries(fixture, 'dispose')
  t.equal(entry?.actor, 'records-officer')
  t.equal(entry?.params.retentionFile, SEVEN_YEARS)
  t.same(entry?.params.rules, [
    { id: 'policy-hits', keepDays: 3650, match: { ruleHit: true } },
    { id: 'default', keepDays: 2555, match: {} },
  ])

  const other = await openTestArchive(t, 'fixes_retention_actor_env')
  await seedOldAndNew(other)
  const fallback = await runWarden(['retention', 'run'], env(other))
  t.equal(fallback.code, 0, fallback.stderr)
  const [byEnv] = await auditEntries(other, 'dispose')
  t.equal(byEnv?.actor, 'compliance@test', 'without --actor, $WARDEN_ACTOR')
})

t.test('the daily disposition job still records system:disposition', async (t) => {
  const fixture = await openTestArchive(t, 'fixes_retention_system_actor')
  await seedOldAndNew(fixture)
  const report = await runDisposition({
    connection: fixture.connection,
    models: await initModels(fixture.connection),
    audit: fixture.audit,
    holds: fixture.holds,
    policy: await loadRetentionFile(SEVEN_YEARS),
    timeZone: 'Asia/Shanghai',
  })
  t.equal(report.disposed, 4)
  const [entry] = await auditEntries(fixture, 'dispose')
  t.equal(entry?.actor, 'system:disposition')
  t.equal(entry?.params.retentionFile, SEVEN_YEARS)
})

t.test('retention rules refuse unknown message types and channels, naming the path', (t) => {
  const cases: [string, RegExp][] = [
    [
      'rules:\n  - id: a\n    keep: 1y\n    match: { msgType: [text, txt] }\n',
      /retention\.yaml: rules\[0\]\.match\.msgType: unknown value 'txt'/,
    ],
    [
      'rules:\n  - id: a\n    keep: 1y\n  - id: b\n    keep: 1y\n    match: { channel: email }\n',
      /retention\.yaml: rules\[1\]\.match\.channel: unknown value 'email'/,
    ],
  ]
  for (const [text, message] of cases) {
    t.throws(() => parseRetention(text, 'retention.yaml'), message)
  }
  const known = parseRetention(
    'rules:\n  - id: a\n    keep: 1y\n    match:\n' +
      '      msgType: [text, image, voice, video, file, location, link, event,\n' +
      '                recall, edit, delete]\n' +
      '      channel: app-callback\n      rules: [Bank-Card.v2, 转账]\n',
  )
  t.same(known.rules[0]?.match.channel, ['app-callback'])
  t.same(known.rules[0]?.match.rules, ['Bank-Card.v2', '转账'], 'policy rule ids are free-form')
  t.end()
})

t.test(
  'a record archived late for a day retention already passed is disposed at the next run',
  async (t) => {
    const fixture = await openTestArchive(t, 'retention_late_record')
    await seedOldAndNew(fixture)
    const first = JSON.parse((await runWarden(['retention', 'run', '--json'], env(fixture))).stdout)
    t.equal(first.disposed, 4)
    // Arrives now, dated on a day the first run already worked through.
    const late = await archiveText(
      fixture,
      '9500000000000000077',
      'user_a',
      '迟到的旧消息',
      EIGHT_YEARS_AGO,
    )
    const second = JSON.parse(
      (await runWarden(['retention', 'run', '--json'], env(fixture))).stdout,
    )
    t.equal(second.disposed, 1, 'the late record is found and disposed')
    t.ok((await docOf(fixture, late.id))?.tombstone)
    const third = JSON.parse((await runWarden(['retention', 'run', '--json'], env(fixture))).stdout)
    t.equal(third.disposed, 0, 'and nothing is disposed twice')
    t.equal((await runWarden(['verify', '--quiet'], { MONGODB_URI: fixture.uri })).code, 0)
  },
)
