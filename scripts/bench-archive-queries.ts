import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import type { Connection } from 'mongoose'
import { openArchive } from '../src/archive/open-archive.js'
import { daysBetween } from '../src/archive/search-keys.js'
import { exportArchive } from '../src/export/export-archive.js'
import { searchArchive } from '../src/search/search-archive.js'
import type { SearchFilters } from '../src/search/search-filters.js'

/** Timed runs of each of our queries (after a warm-up); the plain find() runs once. */
const ROUNDS = Number(process.env.BENCH_ARCHIVE_ROUNDS ?? 5)
const DAY_MS = 86_400_000
/** A plain find() that takes longer is stopped (a full scan of 1M records on FerretDB: ~15 min). */
const BASELINE_LIMIT_MS = Number(process.env.BENCH_ARCHIVE_BASELINE_LIMIT_MS ?? 60_000)

interface Options {
  timeZone: string
  log: (line: string) => void
}

interface Typical {
  name: string
  filters: SearchFilters
  /** The same question asked the obvious way: a plain find() with ranges and a regex. */
  baseline: (messages: ReturnType<Connection['collection']>) => Promise<unknown[]>
}

/** p50 and p95 of `run` over `rounds` timed runs (after one warm-up when more than one). */
async function timeIt(
  run: () => Promise<unknown>,
  rounds = ROUNDS,
): Promise<{ p50: number; p95: number }> {
  if (rounds > 1) await run()
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    await run()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] ?? 0
  return { p50: at(0.5), p95: at(0.95) }
}

export async function benchSearches(connection: Connection, options: Options): Promise<void> {
  const { audit, archive } = await openArchive(connection, options.timeZone)
  const messages = connection.collection('messages')
  // The newest record through the small tip table: no scan of the archive.
  const tip = await archive.chain.readTip()
  const newest = await messages.findOne({ seq: tip.seq }, { projection: { createTime: 1 } })
  const end = (newest?.createTime as Date | undefined) ?? new Date()
  const week = new Date(end.getTime() - 7 * DAY_MS)
  const month = new Date(end.getTime() - 30 * DAY_MS)
  const typical: Typical[] = [
    {
      name: 'one user, last 7 days',
      filters: { users: ['user42'], from: week, to: end },
      baseline: (m) =>
        m
          .find({ fromUser: 'user42', createTime: { $gte: week, $lte: end } })
          .sort({ createTime: -1 })
          .limit(20)
          .maxTimeMS(BASELINE_LIMIT_MS)
          .toArray(),
    },
    {
      name: 'one chat, last 7 days',
      filters: { chatId: 'chat7', from: week, to: end },
      baseline: (m) =>
        m
          .find({ chatId: 'chat7', createTime: { $gte: week, $lte: end } })
          .sort({ createTime: -1 })
          .limit(20)
          .maxTimeMS(BASELINE_LIMIT_MS)
          .toArray(),
    },
    {
      name: "text '转账' (Chinese substring), last 30 days",
      filters: { text: '转账', from: month, to: end },
      baseline: (m) =>
        m
          .find({ content: { $regex: '转账' }, createTime: { $gte: month, $lte: end } })
          .sort({ createTime: -1 })
          .limit(20)
          .maxTimeMS(BASELINE_LIMIT_MS)
          .toArray(),
    },
    {
      name: "one user + text '会议', last 30 days",
      filters: { users: ['user7'], text: '会议', from: month, to: end },
      baseline: (m) =>
        m
          .find({
            fromUser: 'user7',
            content: { $regex: '会议' },
            createTime: { $gte: month, $lte: end },
          })
          .sort({ createTime: -1 })
          .limit(20)
          .maxTimeMS(BASELINE_LIMIT_MS)
          .toArray(),
    },
    {
      name: "rule hit 'no-private-transfer', last 30 days",
      filters: { ruleId: 'no-private-transfer', from: month, to: end },
      baseline: async () => {
        const hits = await connection
          .collection('violations')
          .find({ ruleId: 'no-private-transfer', createdAt: { $gte: month } })
          .sort({ createdAt: -1 })
          .limit(20)
          .maxTimeMS(BASELINE_LIMIT_MS)
          .toArray()
        return messages
          .find({ _id: { $in: hits.map((h) => h.messageId) } })
          .maxTimeMS(BASELINE_LIMIT_MS)
          .toArray()
      },
    },
  ]
  options.log(
    `search (page of 20 with 2 messages of context; p50 / p95 over ${ROUNDS} runs; plain find() once):`,
  )
  for (const query of typical) {
    let found = 0
    let how = ''
    const ours = await timeIt(async () => {
      const result = await searchArchive(
        { connection, timeZone: options.timeZone, audit, actor: 'bench' },
        query.filters,
        { limit: 20 },
      )
      found = result.hits.length
      how = `${result.plan}, ${result.stats.queries} queries, ${result.stats.fetched} records read`
    })
    const plain = await timeIt(() => query.baseline(messages).catch(stoppedAtLimit), 1)
    const stopped = plain.p95 >= BASELINE_LIMIT_MS
    options.log(
      `  ${query.name}: ${ms(ours.p50)} / ${ms(ours.p95)} (${found} hits; ${how}); plain find() ` +
        `${stopped ? '> ' : ''}${ms(plain.p95)} → ${stopped ? '> ' : ''}` +
        `${(plain.p95 / ours.p95).toFixed(1)}× its time`,
    )
  }
}

/** A baseline stopped by maxTimeMS counts as taking the limit. */
function stoppedAtLimit(err: unknown): unknown[] {
  if ((err as { code?: number }).code === 50) return []
  throw err
}

function ms(value: number): string {
  return `${value.toFixed(0)} ms`
}

/**
 * Exports the ~100,000 newest messages (a time range) with `warden export`'s function, beside a
 * bare read of the same days (one plain find() per day, by the `day` key, nothing else) written
 * out as JSON lines: the ratio is what the export adds to reading. (A find() on the time range
 * itself reads the whole collection on FerretDB: ~15 minutes at 1,000,000 messages.)
 */
export async function benchExport(
  connection: Connection,
  options: Options & { dir: string; total: number; days: number; start: number },
): Promise<void> {
  const { audit } = await openArchive(connection, options.timeZone)
  const share = Math.min(1, 100_000 / options.total)
  const to = new Date(options.start + options.days * DAY_MS)
  const from = new Date(to.getTime() - share * options.days * DAY_MS)
  let started = performance.now()
  const result = await exportArchive(
    { connection, timeZone: options.timeZone, audit, actor: 'bench' },
    { from, to },
    join(options.dir, 'export'),
  )
  const exported = result.manifest.counts.messages
  const elapsed = (performance.now() - started) / 1000

  options.log(
    `export: ${exported} messages in ${elapsed.toFixed(1)} s (${Math.round(exported / elapsed)}/s, ` +
      'JSONL + CSV + EML + chain segment + manifest)',
  )

  started = performance.now()
  const out = createWriteStream(join(options.dir, 'baseline.jsonl'))
  let plain = 0
  for (const day of daysBetween(from, to, options.timeZone)) {
    for (const doc of await connection.collection('messages').find({ day }).toArray()) {
      plain++
      if (!out.write(`${JSON.stringify(doc)}\n`)) await once(out, 'drain')
    }
  }
  out.end()
  await once(out, 'finish')
  const plainElapsed = (performance.now() - started) / 1000
  options.log(
    `  bare find() per day → JSONL of ${plain} in ${plainElapsed.toFixed(1)} s ` +
      `(${Math.round(plain / plainElapsed)}/s) → the export runs at ` +
      `${(plainElapsed / elapsed).toFixed(2)}× its speed`,
  )
}
