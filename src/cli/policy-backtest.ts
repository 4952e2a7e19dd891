import mongoose, { type Connection } from 'mongoose'
import { maskPii } from '../actions/mask-pii.js'
import { messageModel } from '../archive/message-model.js'
import { loadPolicyFile } from '../policy/load-policy.js'
import type { PolicyEngine, PolicyHit } from '../policy/types.js'
import { createUsageError, DEFAULT_POLICY_FILE, readPolicyPath } from './args.js'
import type { CliIo, Command, OptionValues, ParsedArgs } from './command-table.js'
import { renderVisible, writeLine } from './output.js'
import { type OverallVerdict, summariseVerdict } from './policy-check.js'

const COMMAND_PATH = 'warden policy backtest'
const PROGRESS_EVERY = 10_000
const BATCH_SIZE = 500
const CONNECT_TIMEOUT_MS = 5_000
const EXCERPT_BEFORE = 20
const EXCERPT_AFTER = 50
const SINCE_PATTERN = /^([1-9]\d{0,5})([hdw])$/
const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

export interface BacktestChange {
  msgId: string
  fromUser: string | null
  before: OverallVerdict
  after: OverallVerdict
  added: string[]
  removed: string[]
}

export interface BacktestReport {
  scanned: number
  changed: number
  transitions: Record<string, number>
  changes: BacktestChange[]
}

interface ArchivedText {
  msgId: string
  fromUser: string | null
  channel: string
  msgType: string | null
  content: string
}

/** Messages per rule id. */
type Tally = Map<string, number>

interface Scan {
  report: BacktestReport
  added: Tally
  removed: Tally
}

interface Backtest {
  current: PolicyEngine
  draft: PolicyEngine
  since: Date
  limit: number
  json: boolean
}

export const policyBacktestCommand: Command = {
  name: 'backtest',
  summary: 'replay archived messages through a draft policy and show what would change',
  usage: [
    `Usage: ${COMMAND_PATH} [--since 7d] [--policy DRAFT] [--current FILE] [--limit N] [--json]`,
    '',
    'Evaluates every archived message with text received since then under the current policy',
    'and under the draft, and lists the messages whose verdict or hits (rule and span) differ.',
    'The archive is only read. MONGODB_URI must name the archive database.',
    '',
    'Options:',
    '  --since AGE     how far back to look: Nh, Nd or Nw (default 7d)',
    '  --policy DRAFT  the draft policy (default: the current policy, so nothing changes)',
    `  --current FILE  the policy in force (default: $POLICY_FILE, else ${DEFAULT_POLICY_FILE})`,
    '  --limit N       stop after N messages, oldest first (default: all)',
    '  --json          print one JSON object instead: {"scanned","changed","transitions":',
    '                  {"PASS→FLAG":n,…},"changes":[{"msgId","fromUser","before","after",',
    '                  "added":[rule ids],"removed":[rule ids]}]}',
    '  -h, --help      show this help',
    '',
    'Each change reads: msgId, sender, verdict before → after, +rules that gain hits,',
    '-rules that lose them, and the text with phone, ID and card numbers masked.',
    'Exit codes: 0 success, 1 invalid policy or archive unavailable, 2 usage error.',
    '',
  ].join('\n'),
  options: {
    since: { type: 'string' },
    policy: { type: 'string' },
    current: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  run: runPolicyBacktest,
}

async function runPolicyBacktest({ values, positionals }: ParsedArgs, io: CliIo): Promise<number> {
  if (positionals.length > 0) throw createUsageError('expected no text; see --help', COMMAND_PATH)
  const uri = io.env.MONGODB_URI
  if (!uri) throw createUsageError('MONGODB_URI must name the archive database', COMMAND_PATH)
  const since = readSince(values.since, Date.now())
  const limit = readLimit(values.limit)

  const currentPath = readPolicyPath({ policy: values.current }, io)
  const draftPath = typeof values.policy === 'string' && values.policy !== '' ? values.policy : null
  const current = await loadPolicyFile(currentPath)
  const draft = draftPath === null ? current : await loadPolicyFile(draftPath)
  const json = values.json === true

  const header = json ? io.stderr : io.stdout
  if (!json) {
    writeLine(header, `current: ${currentPath} (version ${current.version})`)
    writeLine(header, `draft:   ${draftPath ?? currentPath} (version ${draft.version})`)
    writeLine(header, `messages received since ${since.toISOString()}`)
  }
  if (draft.version === current.version) {
    writeLine(header, 'the draft is the current policy: no verdict can change')
  }

  let connection: Connection | undefined
  try {
    connection = await openReadOnlyConnection(uri)
    const scan = await replayArchive(connection, { current, draft, since, limit, json }, io)
    if (json) io.stdout.write(`${JSON.stringify(scan.report)}\n`)
    else writeSummary(io, scan)
    return 0
  } catch (err) {
    // The driver's messages may quote the URI, and with it a password: name the failure only.
    const reason = (err as { name?: string }).name ?? 'Error'
    writeLine(io.stderr, `WARDEN_ARCHIVE_UNAVAILABLE: archive is unavailable (${reason})`)
    return 1
  } finally {
    await connection?.close().catch(() => {})
  }
}

/** `7d` → the moment seven days ago. */
export function readSince(value: OptionValues[string], now: number): Date {
  const text = typeof value === 'string' ? value : '7d'
  const match = SINCE_PATTERN.exec(text)
  if (!match) {
    throw createUsageError(`--since expects Nh, Nd or Nw (e.g. 7d); got '${text}'`, COMMAND_PATH)
  }
  const unit = match[2] as keyof typeof UNIT_MS
  return new Date(now - Number(match[1]) * UNIT_MS[unit])
}

function readLimit(value: OptionValues[string]): number {
  if (value === undefined) return 0
  const text = String(value)
  if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw createUsageError(`--limit expects a positive whole number; got '${text}'`, COMMAND_PATH)
  }
  return Number(text)
}

// Without these, compiling the model could create the collection and its indexes: writes.
async function openReadOnlyConnection(uri: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS,
  })
  try {
    return await connection.asPromise()
  } catch (err) {
    await connection.close().catch(() => {})
    throw err
  }
}

async function replayArchive(connection: Connection, run: Backtest, io: CliIo): Promise<Scan> {
  const report: BacktestReport = { scanned: 0, changed: 0, transitions: {}, changes: [] }
  const scan: Scan = { report, added: new Map(), removed: new Map() }
  const query = messageModel(connection)
    .find({ receivedAt: { $gte: run.since }, content: { $type: 'string' } })
    .select({ _id: 0, msgId: 1, fromUser: 1, channel: 1, msgType: 1, content: 1 })
    .sort({ receivedAt: 1 })
    .limit(run.limit)
    .lean<ArchivedText>()

  for await (const message of query.cursor({ batchSize: BATCH_SIZE })) {
    report.scanned += 1
    const input = { ...message, text: message.content }
    const before = run.current.evaluate(input)
    const after = run.current === run.draft ? before : run.draft.evaluate(input)
    const change = compareHits(message, before, after)
    if (change) {
      recordChange(scan, change, run.json)
      if (!run.json) writeLine(io.stdout, formatChangeLine(change, message.content, after, before))
    }
    if (report.scanned % PROGRESS_EVERY === 0) {
      writeLine(io.stderr, `… ${report.scanned} messages scanned, ${report.changed} changed`)
    }
  }
  return scan
}

/** A change when the overall verdict or the set of (rule, span) hits differs. */
export function compareHits(
  message: Pick<ArchivedText, 'msgId' | 'fromUser'>,
  before: PolicyHit[],
  after: PolicyHit[],
): BacktestChange | null {
  const beforeKeys = new Set(before.map(keyHit))
  const afterKeys = new Set(after.map(keyHit))
  const added = after.filter((hit) => !beforeKeys.has(keyHit(hit)))
  const removed = before.filter((hit) => !afterKeys.has(keyHit(hit)))
  const verdicts = { before: summariseVerdict(before), after: summariseVerdict(after) }
  if (verdicts.before === verdicts.after && added.length === 0 && removed.length === 0) return null
  return {
    msgId: message.msgId,
    fromUser: message.fromUser,
    ...verdicts,
    added: listRuleIds(added),
    removed: listRuleIds(removed),
  }
}

function keyHit(hit: PolicyHit): string {
  return `${hit.ruleId}\u0000${hit.start}\u0000${hit.end}`
}

function listRuleIds(hits: PolicyHit[]): string[] {
  return [...new Set(hits.map((hit) => hit.ruleId))].sort()
}

function recordChange(scan: Scan, change: BacktestChange, keep: boolean): void {
  const { report } = scan
  report.changed += 1
  const transition = `${change.before}→${change.after}`
  report.transitions[transition] = (report.transitions[transition] ?? 0) + 1
  // The human form prints each change as it comes; only --json needs them all at the end.
  if (keep) report.changes.push(change)
  for (const rule of change.added) scan.added.set(rule, (scan.added.get(rule) ?? 0) + 1)
  for (const rule of change.removed) scan.removed.set(rule, (scan.removed.get(rule) ?? 0) + 1)
}

function formatChangeLine(
  change: BacktestChange,
  text: string,
  after: PolicyHit[],
  before: PolicyHit[],
): string {
  const rules = [...change.added.map((id) => `+${id}`), ...change.removed.map((id) => `-${id}`)]
  const focus =
    after.find((hit) => change.added.includes(hit.ruleId)) ??
    before.find((hit) => change.removed.includes(hit.ruleId)) ??
    after[0] ??
    before[0]
  const columns = [
    change.msgId,
    change.fromUser ?? '-',
    `${change.before} → ${change.after}`,
    rules.join(' ') || '(same hits)',
    renderChangeExcerpt(text, focus?.start ?? 0),
  ]
  return columns.join('  ')
}

/** The text around `start`, masked first so that a window never shows part of a number. */
function renderChangeExcerpt(text: string, start: number): string {
  const masked = maskPii(text)
  const before = Array.from(masked.slice(0, start))
  const after = Array.from(masked.slice(start))
  const head = before.length > EXCERPT_BEFORE ? '…' : ''
  const tail = after.length > EXCERPT_AFTER ? '…' : ''
  const shown = [...before.slice(-EXCERPT_BEFORE), ...after.slice(0, EXCERPT_AFTER)].join('')
  return `"${head}${renderVisible(shown)}${tail}"`
}

function writeSummary(io: CliIo, { report, added, removed }: Scan): void {
  const out = io.stdout
  writeLine(out)
  writeLine(out, `scanned ${report.scanned} messages, ${report.changed} changed`)
  for (const [transition, count] of sortCounts(Object.entries(report.transitions))) {
    writeLine(out, `  ${transition}: ${count}`)
  }
  writeRuleTally(io, 'rules gaining hits', '+', added)
  writeRuleTally(io, 'rules losing hits', '-', removed)
}

function writeRuleTally(io: CliIo, title: string, sign: string, tally: Tally): void {
  if (tally.size === 0) return
  const parts = sortCounts([...tally]).map(([rule, n]) => `${rule} ${sign}${n}`)
  writeLine(io.stdout, `${title} (messages): ${parts.join(', ')}`)
}

function sortCounts(entries: [string, number][]): [string, number][] {
  return entries.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
}
