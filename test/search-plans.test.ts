import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { namesAnIndex, serverReadsIndexes } from '../src/archive/index-reads.js'
import { backfillViolationDays, MIGRATIONS_COLLECTION } from '../src/archive/violation-days.js'
import { exportArchive } from '../src/export/export-archive.js'
import { searchArchive } from '../src/search/search-archive.js'
import type { SearchFilters } from '../src/search/search-filters.js'
import type { ArchiveFixture } from './helpers/archive.js'
import { openTestArchive } from './helpers/archive.js'
import { addViolation, archiveLine } from './helpers/search-fixtures.js'

/**
 * Search and export read the archive one of two ways, chosen by whether the server looks
 * equalities up in an index (src/archive/index-reads.ts). Both must give the same answers:
 * these tests force each way on the same data.
 */
const DAY_MS = 86_400_000
const first = Date.parse('2026-01-05T03:00:00Z')
const dayAt = (n: number, minutes = 0) => new Date(first + n * DAY_MS + minutes * 60_000)
const WAYS = [
  { indexReads: true, name: 'index reads' },
  { indexReads: false, name: 'scans' },
]

function search(
  fixture: ArchiveFixture,
  indexReads: boolean,
  filters: SearchFilters,
  page: { limit?: number; cursor?: string | null; context?: number } = {},
) {
  return searchArchive(
    {
      connection: fixture.connection,
      timeZone: 'Asia/Shanghai',
      audit: fixture.audit,
      actor: 'tester',
      indexReads,
    },
    filters,
    page,
  )
}

async function allPages(
  fixture: ArchiveFixture,
  indexReads: boolean,
  filters: SearchFilters,
  limit: number,
) {
  const seen: string[] = []
  const plans = new Set<string>()
  let cursor: string | null = null
  do {
    const page = await search(fixture, indexReads, filters, { limit, cursor, context: 0 })
    seen.push(...page.hits.map((hit) => hit.content ?? ''))
    plans.add(page.plan)
    cursor = page.nextCursor
  } while (cursor)
  return { seen, plans }
}

/** 60 days with one line of user_rare each, and busier chat lines on a few days. */
async function archiveSpread(fixture: ArchiveFixture) {
  const rare: string[] = []
  for (let day = 0; day < 60; day++) {
    const content = `第${day}天的转账说明`
    await archiveLine(fixture, { user: 'user_rare', content, at: dayAt(day) })
    rare.unshift(content)
  }
  const busy = []
  for (let i = 0; i < 12; i++) {
    busy.push(
      await archiveLine(fixture, {
        user: `user_${i % 3}`,
        content: `群里第${i}条消息`,
        at: dayAt(58 + (i % 2), i),
        chatId: 'chat-busy',
      }),
    )
  }
  return { rare, busy }
}

t.test('both ways of reading find the same hits in the same order', async (t) => {
  const fixture = await openTestArchive(t, 'search_plans_same')
  const { rare, busy } = await archiveSpread(fixture)
  await addViolation(fixture, busy[2]?.id as never, 'bank-card', 'user_2')
  await addViolation(fixture, busy[7]?.id as never, 'bank-card', 'user_1')

  const cases: { filters: SearchFilters; expected: string[] }[] = [
    { filters: { users: ['user_rare'] }, expected: rare },
    { filters: { text: '转账' }, expected: rare },
    {
      filters: { users: ['user_rare'], from: dayAt(10), to: dayAt(19, 1) },
      expected: rare.slice(40, 50),
    },
    {
      filters: { chatId: 'chat-busy', users: ['user_1'] },
      expected: ['群里第7条消息', '群里第1条消息', '群里第10条消息', '群里第4条消息'],
    },
    { filters: { ruleId: 'bank-card' }, expected: ['群里第7条消息', '群里第2条消息'] },
    { filters: { ruleId: 'bank-card', from: dayAt(59) }, expected: ['群里第7条消息'] },
    { filters: { ruleId: 'no-such-rule' }, expected: [] },
  ]
  for (const { filters, expected } of cases) {
    for (const way of WAYS) {
      const { seen } = await allPages(fixture, way.indexReads, filters, 7)
      t.same(seen, expected, `${JSON.stringify(filters)} by ${way.name}`)
    }
  }
})

t.test('a rare sender over a long range is read day by day, then in one go', async (t) => {
  const fixture = await openTestArchive(t, 'search_plans_switch')
  const { rare } = await archiveSpread(fixture)
  const first = await search(fixture, true, { users: ['user_rare'] }, { limit: 50, context: 0 })
  t.equal(first.plan, 'days', 'index reads start with one query per day')
  t.equal(first.hits.length, 50)
  // The page's rule hits cost one query (one sender); the reading itself is the list of days,
  // 45 day queries and one for the remaining 15 days.
  t.equal(first.stats.queries, 1 + 47, 'the remaining days are read in one query')
  t.same(
    first.hits.map((hit) => hit.content),
    rare.slice(0, 50),
    'newest first across the switch',
  )
  const rest = await search(
    fixture,
    true,
    { users: ['user_rare'] },
    { limit: 50, context: 0, cursor: first.nextCursor },
  )
  t.same(
    rest.hits.map((hit) => hit.content),
    rare.slice(50),
    'the next page continues where the first stopped',
  )
  t.equal(rest.nextCursor, null)
})

t.test(
  'a rule search on a server that reads indexes asks per day, not for every hit',
  async (t) => {
    const fixture = await openTestArchive(t, 'search_plans_rule_days')
    const { busy } = await archiveSpread(fixture)
    for (const line of busy) await addViolation(fixture, line.id as never, 'bank-card', 'user_x')
    const page = await search(fixture, true, { ruleId: 'bank-card' }, { limit: 3, context: 0 })
    t.equal(page.plan, 'ruleDays')
    t.same(
      page.hits.map((hit) => hit.content),
      ['群里第11条消息', '群里第9条消息', '群里第7条消息'],
    )
    t.ok(
      page.stats.fetched <= 6,
      `only the newest day's hits are fetched (${page.stats.fetched} of ${busy.length})`,
    )
  },
)

t.test('an export has the same bytes whichever way the archive is read', async (t) => {
  const fixture = await openTestArchive(t, 'search_plans_export')
  const { busy } = await archiveSpread(fixture)
  await addViolation(fixture, busy[4]?.id as never, 'bank-card', 'user_1')
  const files: Record<string, string> = {}
  for (const way of WAYS) {
    const dir = await mkdtemp(join(tmpdir(), 'warden-plans-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const out = join(dir, 'export')
    const result = await exportArchive(
      {
        connection: fixture.connection,
        timeZone: 'Asia/Shanghai',
        audit: fixture.audit,
        actor: 'tester',
        indexReads: way.indexReads,
      },
      { from: dayAt(50) },
      out,
    )
    t.equal(result.manifest.counts.messages, 22, `10 rare + 12 busy lines (${way.name})`)
    files[way.name] =
      (await readFile(join(out, 'messages.jsonl'), 'utf8')) +
      (await readFile(join(out, 'messages.csv'), 'utf8'))
  }
  t.equal(files['index reads'], files.scans, 'JSONL and CSV identical')
  t.match(files.scans, /bank-card/, 'the rule hit is in the CSV')
})

t.test('a PostgreSQL plan that reads an index is told from one that scans', async (t) => {
  t.equal(namesAnIndex({ Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'm' } }), false)
  t.equal(
    namesAnIndex({
      Plan: {
        'Node Type': 'Bitmap Heap Scan',
        Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': 'messages_day_gin' }],
      },
    }),
    true,
  )
  const fixture = await openTestArchive(t, 'search_plans_probe')
  const db = fixture.connection.db
  if (!db) throw new Error('not connected')
  const info = await db.admin().command({ buildInfo: 1 })
  const answer = await serverReadsIndexes(db)
  if (typeof info.ferretdbVersion !== 'string') t.equal(answer, true, 'MongoDB reads indexes')
  else t.type(answer, 'boolean', 'FerretDB is asked through explain')
  t.equal(await serverReadsIndexes(db), answer, 'the answer is kept per database')
})

t.test('violations stored before they carried a day are still found by rule', async (t) => {
  const fixture = await openTestArchive(t, 'search_plans_legacy_violations')
  const { busy } = await archiveSpread(fixture)
  await addViolation(fixture, busy[3]?.id as never, 'bank-card', 'user_0')
  await addViolation(fixture, busy[8]?.id as never, 'bank-card', 'user_2')
  const db = fixture.connection.db
  if (!db) throw new Error('not connected')
  // As an older version wrote them, and before any process has filled the days in.
  await db.collection('violations').updateMany({}, { $unset: { day: '' } })
  await db.collection(MIGRATIONS_COLLECTION).deleteMany({})
  const expected = ['群里第3条消息', '群里第8条消息']

  const before = await search(fixture, true, { ruleId: 'bank-card' }, { context: 0 })
  t.equal(before.plan, 'rule', 'until the days are filled in, violations are not read by day')
  t.same(before.hits.map((hit) => hit.content).sort(), expected)
  t.same(
    before.hits[0]?.ruleHits.map((hit) => hit.ruleId),
    ['bank-card'],
    'hits list the rule',
  )

  t.equal(await backfillViolationDays(db), 2, 'the next writer fills the two days in')
  t.equal(await backfillViolationDays(db), 0, 'once')
  const after = await search(fixture, true, { ruleId: 'bank-card' }, { context: 0 })
  t.equal(after.plan, 'ruleDays')
  t.same(after.hits.map((hit) => hit.content).sort(), expected)
  t.same(
    after.hits[1]?.ruleHits.map((hit) => hit.ruleId),
    ['bank-card'],
  )
})
