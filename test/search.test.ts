import t from 'tap'
import { searchArchive } from '../src/search/search-archive.js'
import type { SearchFilters } from '../src/search/search-filters.js'
import type { ArchiveFixture } from './helpers/archive.js'
import { openTestArchive, runWarden } from './helpers/archive.js'
import {
  addViolation,
  archiveLine,
  auditEntries,
  disposeRecord,
} from './helpers/search-fixtures.js'

const base = Date.parse('2026-03-10T02:00:00Z')
const at = (minutes: number) => new Date(base + minutes * 60_000)

function search(fixture: ArchiveFixture, filters: SearchFilters, page = {}) {
  const deps = { connection: fixture.connection, timeZone: 'Asia/Shanghai', audit: fixture.audit }
  return searchArchive({ ...deps, actor: 'tester' }, filters, page)
}

t.test('a Chinese substring is found inside a longer text without segmentation', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_substring')
  await archiveLine(fixture, { user: 'user_a', content: '昨天的转账记录', at: at(0) })
  await archiveLine(fixture, { user: 'user_a', content: '转给你的账记录了', at: at(1) })
  await archiveLine(fixture, { user: 'user_b', content: '今天开会', at: at(2) })

  const result = await search(fixture, { text: '转账' })
  t.same(
    result.hits.map((hit) => hit.content),
    ['昨天的转账记录'],
    'only the text holding the substring',
  )
  t.equal(result.hits[0]?.senderName, 'Name of user_a', 'sender name from the snapshot')
  const none = await search(fixture, { text: '股票' })
  t.equal(none.hits.length, 0, 'a substring in no message finds nothing')
})

t.test('a one-character Chinese query finds every message holding it', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_onechar')
  await archiveLine(fixture, { user: 'user_a', content: '这把赌大了', at: at(0) })
  await archiveLine(fixture, { user: 'user_a', content: '赌', at: at(1) })
  await archiveLine(fixture, { user: 'user_a', content: '下午喝茶', at: at(2) })

  const result = await search(fixture, { text: '赌' })
  t.same(result.hits.map((hit) => hit.content).sort(), ['赌', '这把赌大了'].sort())
})

t.test('a search sees through the disguises the policy sees through', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_disguise')
  await archiveLine(fixture, { user: 'user_a', content: '去澳门賭博吧', at: at(0) })
  await archiveLine(fixture, { user: 'user_a', content: '去澳门赌\u200b博吧', at: at(1) })
  await archiveLine(fixture, { user: 'user_a', content: '去ＡＢＣ赌场', at: at(2) })
  await archiveLine(fixture, { user: 'user_a', content: '去澳门旅游', at: at(3) })

  const gambling = await search(fixture, { text: '赌博' })
  t.equal(gambling.hits.length, 2, 'traditional 賭 and a zero-width space inside both match')
  const wide = await search(fixture, { text: 'abc' })
  t.same(
    wide.hits.map((hit) => hit.content),
    ['去ＡＢＣ赌场'],
    'full-width letters match',
  )
})

t.test('user and time range together select only that sender inside the range', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_user_range')
  for (let day = 0; day < 4; day++) {
    for (const user of ['user_a', 'user_b']) {
      await archiveLine(fixture, { user, content: `第${day}天 ${user}`, at: at(day * 1440) })
    }
  }
  const result = await search(fixture, {
    users: ['user_a'],
    from: new Date('2026-03-11T00:00:00+08:00'),
    to: new Date('2026-03-12T23:59:59+08:00'),
  })
  t.same(
    result.hits.map((hit) => hit.content),
    ['第2天 user_a', '第1天 user_a'],
    'newest first, only user_a, only days 1 and 2',
  )
})

t.test(
  'the rule-hit filter returns only messages that hit the rule, with hits listed',
  async (t) => {
    const fixture = await openTestArchive(t, 'search_helper_rule')
    const stored = []
    for (let i = 0; i < 5; i++) {
      stored.push(await archiveLine(fixture, { user: 'user_a', content: `消息${i}`, at: at(i) }))
    }
    await addViolation(fixture, stored[1]?.id as never, 'bank-card', 'user_a')
    await addViolation(fixture, stored[3]?.id as never, 'bank-card', 'user_a')
    await addViolation(fixture, stored[3]?.id as never, 'cn-mobile', 'user_a')

    const result = await search(fixture, { ruleId: 'bank-card' })
    t.same(
      result.hits.map((hit) => hit.content),
      ['消息3', '消息1'],
    )
    t.same(
      result.hits[0]?.ruleHits.map((hit) => hit.ruleId).sort(),
      ['bank-card', 'cn-mobile'],
      'every rule the message hit is listed',
    )
    const ranged = await search(fixture, { ruleId: 'bank-card', users: ['user_a'], from: at(2) })
    t.same(
      ranged.hits.map((hit) => hit.content),
      ['消息3'],
      'the rule filter combines with other filters',
    )
  },
)

t.test('paging through results never repeats or skips a hit', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_paging')
  const expected: string[] = []
  for (let i = 0; i < 23; i++) {
    const content = `转账 第${i}笔`
    await archiveLine(fixture, { user: `user_${i % 3}`, content, at: at(i * 300) })
    expected.unshift(content)
  }
  await archiveLine(fixture, { user: 'user_a', content: '无关的话', at: at(5) })

  for (const filters of [{ text: '转账' }, { users: ['user_0', 'user_1', 'user_2'] }, {}]) {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page = await search(fixture, filters, { limit: 5, cursor, context: 0 })
      t.ok(page.hits.length <= 5, 'a page holds at most the limit')
      seen.push(...page.hits.map((hit) => hit.content ?? ''))
      cursor = page.nextCursor
    } while (cursor)
    const wanted = Object.keys(filters).length === 0 ? ['无关的话', ...expected] : expected
    t.same(
      [...seen].sort(),
      [...wanted].sort(),
      `every hit exactly once (${JSON.stringify(filters)})`,
    )
    t.equal(new Set(seen).size, seen.length, 'no hit repeated')
  }
  const first = await search(fixture, { text: '转账' }, { limit: 5 })
  await t.rejects(
    search(fixture, { text: '记录' }, { cursor: first.nextCursor }),
    { code: 'WARDEN_REQUEST_INVALID' },
    'a cursor from another search is refused',
  )
})

t.test('each hit comes with the conversation around it', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_context')
  const lines = ['早', '今天对账', '昨天的转账记录发我', '好的', '收到']
  for (const [i, content] of lines.entries()) {
    const user = i % 2 ? 'user_b' : 'user_a'
    await archiveLine(fixture, { user, content, at: at(i), chatId: 'chat-1' })
  }
  await archiveLine(fixture, { user: 'user_a', content: '别的群', at: at(2), chatId: 'chat-2' })

  const result = await search(fixture, { text: '转账' }, { context: 2 })
  const hit = result.hits[0]
  t.same(
    hit?.before.map((m) => m.content),
    ['早', '今天对账'],
  )
  t.same(
    hit?.after.map((m) => m.content),
    ['好的', '收到'],
  )
  t.equal(hit?.after[0]?.senderName, 'Name of user_b')
})

t.test('disposed records are never returned as hits', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_tombstone')
  const gone = await archiveLine(fixture, { user: 'user_a', content: '转账一', at: at(0) })
  await archiveLine(fixture, { user: 'user_a', content: '转账二', at: at(1) })
  await disposeRecord(fixture, gone.id)

  for (const filters of [{ text: '转账' }, { users: ['user_a'] }, {}]) {
    const result = await search(fixture, filters)
    t.same(
      result.hits.map((hit) => hit.content),
      ['转账二'],
      JSON.stringify(filters),
    )
  }
})

t.test('every search is recorded in the audit log with its parameters and count', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_audit')
  await archiveLine(fixture, { user: 'user_a', content: '转账', at: at(0) })
  await search(fixture, { text: '转账', users: ['user_a'] })
  const [entry] = await auditEntries(fixture, 'search')
  t.equal(entry?.actor, 'tester')
  t.match(entry?.params, { text: '转账', users: ['user_a'] })
  t.equal(entry?.outcome.count, 1)
})

t.test('warden search prints hits readably and as JSON, and audits the actor', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_cli')
  await archiveLine(fixture, { user: 'user_a', content: '昨天的转账记录', at: at(0), chatId: 'c1' })
  const env = { MONGODB_URI: fixture.uri, ARCHIVE_TIMEZONE: 'Asia/Shanghai' }

  const readable = await runWarden(['search', '转账', '--actor', 'auditor'], env)
  t.equal(readable.code, 0, readable.stderr)
  t.match(readable.stdout, /Name of user_a/)
  t.match(readable.stdout, /昨天的转账记录/)
  const json = await runWarden(['search', '--text', '转账', '--since', '3650d', '--json'], env)
  t.equal(json.code, 0, json.stderr)
  t.equal(JSON.parse(json.stdout).hits[0].content, '昨天的转账记录')
  const bad = await runWarden(['search', '--since', 'yesterday'], env)
  t.equal(bad.code, 2, 'a malformed --since is a usage error')
  const entries = await auditEntries(fixture, 'search')
  t.equal(entries[0]?.actor, 'auditor')
})

t.test('an open range covers a record that arrived late with an old time', async (t) => {
  const fixture = await openTestArchive(t, 'search_helper_late')
  await archiveLine(fixture, { user: 'user_a', content: '最近的消息', at: at(0) })
  await archiveLine(fixture, {
    user: 'user_a',
    content: '很久以前的消息',
    at: new Date('2014-05-01T08:00:00Z'),
  })
  const all = await search(fixture, {})
  t.same(
    all.hits.map((hit) => hit.content),
    ['最近的消息', '很久以前的消息'],
  )
  const wide = await search(fixture, {
    from: new Date('2001-01-01T00:00:00Z'),
    to: new Date('2100-01-01T00:00:00Z'),
  })
  t.equal(wide.hits.length, 2, 'a range of a century is not cut short')

  const { chainCollections, MESSAGE_CHAIN } = await import('../src/archive/chain/chain-spec.js')
  await chainCollections(fixture.connection, MESSAGE_CHAIN).tips.deleteMany({})
  t.equal((await search(fixture, {})).hits.length, 2, 'search does not depend on the tip table')
})
