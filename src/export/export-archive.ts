import { randomUUID } from 'node:crypto'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Collection, Document } from 'mongodb'
import type { Connection } from 'mongoose'
import { canonicalJson, sha256Hex } from '../archive/chain/canonical-record.js'
import { chainCollections, MESSAGE_CHAIN } from '../archive/chain/chain-spec.js'
import { type Checkpoint, loadCheckpoints } from '../archive/chain/checkpoint.js'
import type { CheckpointSigner } from '../archive/chain/signing-key.js'
import type { ArchivedMessage } from '../archive/message-model.js'
import type { AuditLog } from '../audit/audit-log.js'
import { WardenError } from '../errors/warden-error.js'
import { planQuery, type ScanStats } from '../search/query-plan.js'
import { byDay, ruleMessagesUpFront } from '../search/rule-hits.js'
import { scanCandidates } from '../search/scan-candidates.js'
import { planSources } from '../search/search-archive.js'
import {
  describeFilters,
  matchesFilters,
  normaliseFilters,
  type SearchFilters,
} from '../search/search-filters.js'
import { collectSegment, type LinkRow, toLinkRow } from './chain-segment.js'
import { csvRow, UTF8_BOM } from './csv-row.js'
import { buildEml, type ConversationDay, conversationOf } from './eml-transcript.js'
import { type FileDigest, HashingWriter } from './hashing-writer.js'
import { buildManifest, type ExportManifest } from './manifest.js'

/** Detached Ed25519 signature over the exact bytes of manifest.json. */
export const MANIFEST_SIGNATURE = 'manifest.sig'

export interface ExportDeps {
  connection: Connection
  timeZone: string
  audit: AuditLog
  actor: string
  /** Signs manifest.json (manifest.sig) so that a rewritten manifest is caught. */
  signer?: CheckpointSigner | null
  /** Called every `progressEvery` exported records and once at the end. */
  onProgress?: (exported: number) => void
  progressEvery?: number
  /** Overrides the server probe (src/archive/index-reads.ts); tests run both plans with it. */
  indexReads?: boolean
}

export interface ExportResult {
  dir: string
  manifest: ExportManifest
  manifestSha256: string
  stats: ScanStats & { elapsedMs: number }
}

const CSV_HEADER = [
  'seq',
  'id',
  'msgId',
  'time',
  'day',
  'senderId',
  'senderName',
  'chat',
  'type',
  'ruleHits',
  'contentHash',
]

/**
 * Writes the messages the filters select into `dir` (which must be empty or absent), oldest
 * first, streaming: JSON Lines of the canonical records, CSV metadata, one EML per
 * conversation-day, the chain segment that links them, and a manifest with every file's
 * SHA-256. Only one day of EML transcripts is held in memory. The export is audited.
 */
export async function exportArchive(
  deps: ExportDeps,
  given: SearchFilters,
  dir: string,
): Promise<ExportResult> {
  const started = performance.now()
  const filters = normaliseFilters(given)
  await prepareDirectory(dir)
  const exportId = randomUUID()
  const stats: ScanStats = { queries: 0, fetched: 0 }
  const sources = await planSources(deps)
  const ruleSet = await ruleMessagesUpFront(sources, filters, stats)
  const rulesOf = ruleLookup(sources.violations, byDay(sources), stats)
  const plan = await planQuery(sources, filters, ruleSet, 1, stats)

  const files: Record<string, FileDigest> = {}
  const jsonl = new HashingWriter(join(dir, 'messages.jsonl'))
  const csv = new HashingWriter(join(dir, 'messages.csv'))
  await csv.write(UTF8_BOM + csvRow(CSV_HEADER))
  const eml = new EmlFiles(dir, exportId, files)
  const links = new Map<number, LinkRow>()
  let count = 0
  let ruleHitCount = 0
  let range = null as { first: number; last: number } | null
  const every = deps.progressEvery ?? 1000

  for await (const doc of scanCandidates(sources, plan, 1, null, stats)) {
    if (!matchesFilters(doc, filters)) continue
    if (ruleSet && !ruleSet.has(doc._id.toHexString())) continue
    const rules = await rulesOf(doc)
    ruleHitCount += rules.length
    await jsonl.write(`${canonicalJson(doc)}\n`)
    await csv.write(csvRow(csvFields(doc, rules)))
    await eml.add(doc)
    links.set(doc.seq, toLinkRow(doc as unknown as Record<string, unknown>))
    range = {
      first: Math.min(range?.first ?? doc.seq, doc.seq),
      last: Math.max(range?.last ?? doc.seq, doc.seq),
    }
    count++
    if (deps.onProgress && count % every === 0) deps.onProgress(count)
  }
  await eml.flushAll()
  files['messages.jsonl'] = await jsonl.close()
  files['messages.csv'] = await csv.close()

  const { records, checkpoints } = chainCollections(deps.connection, MESSAGE_CHAIN)
  const segment = range
    ? await collectSegment(
        records,
        await loadCheckpoints(checkpoints, MESSAGE_CHAIN.name),
        MESSAGE_CHAIN.name,
        range,
        links,
        stats,
      )
    : { rows: [], checkpoint: null as Checkpoint | null }
  files['chain-segment.jsonl'] = await writeSegment(dir, segment.rows)
  deps.onProgress?.(count)

  const manifest = buildManifest({
    exportId,
    actor: deps.actor,
    filters: describeFilters(filters),
    counts: {
      messages: count,
      ruleHits: ruleHitCount,
      emlFiles: eml.count,
      segmentRows: segment.rows.length,
    },
    files,
    range,
    segment: segment.rows,
    checkpoint: segment.checkpoint,
  })
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`
  await writeFile(join(dir, 'manifest.json'), manifestText, { flag: 'wx' })
  const manifestSha256 = sha256Hex(manifestText)
  if (deps.signer) {
    const signature = { keyId: deps.signer.keyId, signature: deps.signer.sign(manifestText) }
    await writeFile(join(dir, MANIFEST_SIGNATURE), `${JSON.stringify(signature)}\n`, { flag: 'wx' })
  }
  await deps.audit.record({
    actor: deps.actor,
    action: 'export',
    params: { ...describeFilters(filters), dir },
    outcome: {
      exportId,
      messages: count,
      emlFiles: eml.count,
      firstSeq: range?.first ?? null,
      lastSeq: range?.last ?? null,
      manifestSha256,
      signed: Boolean(deps.signer),
    },
  })
  return {
    dir,
    manifest,
    manifestSha256,
    stats: { ...stats, elapsedMs: Math.round(performance.now() - started) },
  }
}

async function prepareDirectory(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []
    throw err
  })
  if (entries.length > 0) {
    throw new WardenError('WARDEN_EXPORT_TARGET_EXISTS', {
      message: `export directory ${dir} is not empty: choose a new one`,
    })
  }
  await mkdir(join(dir, 'eml'), { recursive: true })
}

/**
 * The rules each exported message hit. A server that reads indexes is asked per exported day
 * (`{day}` on the violations, days arrive in order, one held at a time); a server that scans
 * is asked once for every violation (far fewer than messages).
 * TODO(#4): page the one-pass form by sender if violations ever outgrow memory.
 */
function ruleLookup(violations: Collection, indexReads: boolean, stats: ScanStats) {
  let day: string | null = null
  let byMessage: Promise<Map<string, string[]>> | null = null
  return (doc: ArchivedMessage): Promise<string[]> => {
    if (!byMessage || (indexReads && doc.day !== day)) {
      day = doc.day
      byMessage = loadRuleHits(violations, indexReads ? { day } : {}, stats)
    }
    return byMessage.then((map) => map.get(doc._id.toHexString()) ?? [])
  }
}

async function loadRuleHits(violations: Collection, filter: Document, stats: ScanStats) {
  stats.queries++
  const byMessage = new Map<string, string[]>()
  const cursor = violations.find(filter, { projection: { _id: 0, messageId: 1, ruleId: 1 } })
  for await (const row of cursor) {
    const id = String(row.messageId)
    byMessage.set(id, [...(byMessage.get(id) ?? []), String(row.ruleId)])
  }
  return byMessage
}

function csvFields(doc: ArchivedMessage, rules: string[]) {
  return [
    doc.seq,
    doc._id.toHexString(),
    doc.msgId,
    (doc.createTime ?? doc.receivedAt).toISOString(),
    doc.day,
    doc.fromUser,
    doc.sender?.name ?? null,
    doc.chatId,
    doc.msgType ?? doc.event ?? doc.kind,
    [...new Set(rules)].sort().join(';'),
    doc.contentHash,
  ]
}

async function writeSegment(dir: string, rows: LinkRow[]): Promise<FileDigest> {
  const writer = new HashingWriter(join(dir, 'chain-segment.jsonl'))
  for (const row of rows) await writer.write(`${JSON.stringify(row)}\n`)
  return writer.close()
}

/**
 * Collects the exported messages into conversation-days. Messages arrive in day order, so a
 * day's transcripts are written as soon as a later day starts.
 */
class EmlFiles {
  readonly #dir: string
  readonly #exportId: string
  readonly #files: Record<string, FileDigest>
  readonly #open = new Map<string, ConversationDay>()
  count = 0

  constructor(dir: string, exportId: string, files: Record<string, FileDigest>) {
    this.#dir = dir
    this.#exportId = exportId
    this.#files = files
  }

  async add(doc: ArchivedMessage): Promise<void> {
    for (const [key, group] of this.#open) {
      if (group.day < doc.day) await this.#flush(key, group)
    }
    const conversation = conversationOf(doc)
    const key = `${doc.day}\n${conversation}`
    const group = this.#open.get(key) ?? { day: doc.day, conversation, messages: [] }
    group.messages.push(doc)
    this.#open.set(key, group)
  }

  async flushAll(): Promise<void> {
    for (const [key, group] of this.#open) await this.#flush(key, group)
  }

  async #flush(key: string, group: ConversationDay): Promise<void> {
    this.#open.delete(key)
    group.messages.sort((a, b) => a.seq - b.seq)
    const slug = group.conversation.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)
    const tag = sha256Hex(group.conversation).slice(0, 8)
    let name = `eml/${group.day}_${slug}_${tag}.eml`
    // A conversation-day seen again after it was written (only out-of-day-order plans).
    for (let n = 2; this.#files[name]; n++) name = `eml/${group.day}_${slug}_${tag}-${n}.eml`
    const writer = new HashingWriter(join(this.#dir, name))
    await writer.write(await buildEml(group, this.#exportId))
    this.#files[name] = await writer.close()
    this.count++
  }
}
