import type { KeyObject } from 'node:crypto'
import type { Collection, Document } from 'mongodb'
import { contentHashOf, GENESIS_HASH, linkHash } from './canonical-record.js'
import { ChainSlots } from './chain-slots.js'
import type { ChainSpec } from './chain-spec.js'
import { loadCheckpoints } from './checkpoint.js'
import { checkCheckpoints } from './verify-checkpoints.js'

export type ProblemKind =
  | 'edited'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'checkpoint-mismatch'
  | 'checkpoint-signature'
  | 'checkpoint-missing'
  | 'tombstone-unrecorded'

export interface ChainProblem {
  chain: string
  kind: ProblemKind
  /** The place in the chain the problem is at; null for a record that has no place. */
  seq: number | null
  /** The record's `_id` as hex, when there is a record. */
  id: string | null
  detail: string
}

export interface ChainReport {
  chain: string
  records: number
  tipSeq: number
  tipHash: string
  tombstones: number
  checkpoints: { total: number; verified: number; unsigned: boolean; lastSeq: number | null }
  intact: boolean
  problems: ChainProblem[]
}

export interface VerifyOptions {
  /** Checkpoint signatures are checked with this key; without one they are only counted. */
  publicKey: KeyObject | null
  /** Ids of records whose disposal the audit chain records; other tombstones are reported. */
  disposed?: ReadonlySet<string>
  /**
   * How often the service signs checkpoints. With a key, records older than two such intervals
   * that no checkpoint covers are reported: checkpoints deleted, or never written.
   */
  checkpointEveryMs?: number
  now?: Date
  onProgress?: (records: number) => void
  progressEvery?: number
  batchSize?: number
}

/** How far from its place a record is looked for when its link does not hold where it is. */
const REORDER_SEARCH = 256
/** Problems kept per chain: the first is what matters, the count says how bad it is. */
const MAX_PROBLEMS = 1000

interface Collections {
  records: Collection
  tips: Collection
  checkpoints: Collection
}

/**
 * Walks one chain in a single pass over its collection (in storage order, which needs no
 * index or sort on the server), checks every record's content hash and link, then checks that
 * the places form one unbroken sequence that matches every signed checkpoint.
 */
export async function verifyChain(
  spec: ChainSpec,
  collections: Collections,
  options: VerifyOptions,
): Promise<ChainReport> {
  const slots = new ChainSlots()
  slots.set(0, GENESIS_HASH, GENESIS_HASH)
  const problems: ChainProblem[] = []
  const report = (problem: Omit<ChainProblem, 'chain'>) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ chain: spec.name, ...problem })
  }
  const idsBySeq = new Map<number, string>()
  /** Places whose record fails its own link: already reported, not blamed on a neighbour. */
  const unlinked = new Set<number>()
  let records = 0
  let tombstones = 0
  const staleBefore =
    options.publicKey && options.checkpointEveryMs
      ? (options.now ?? new Date()).getTime() - 2 * options.checkpointEveryMs - 300_000
      : null
  /** The newest place whose record is old enough that a checkpoint should cover it. */
  let staleSeq = 0
  const every = options.progressEvery ?? 10_000

  const cursor = collections.records.find({}, { batchSize: options.batchSize ?? 2000 })
  for await (const doc of cursor) {
    records++
    if (options.onProgress && records % every === 0) options.onProgress(records)
    const id = idOf(doc)
    const seq = doc.seq
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
      report({ kind: 'inserted', seq: null, id, detail: 'record has no place in the chain' })
      continue
    }
    if (slots.has(seq)) {
      report({ kind: 'inserted', seq, id, detail: `a second record claims seq ${seq}` })
      continue
    }
    const prevHash = String(doc.prevHash ?? '')
    const contentHash = String(doc.contentHash ?? '')
    if (doc.tombstone) {
      tombstones++
      if (options.disposed && !options.disposed.has(id ?? '')) {
        report({
          kind: 'tombstone-unrecorded',
          seq,
          id,
          detail: 'record was emptied but no disposal of it is in the audit log',
        })
      }
    } else if (contentHashOf(doc, spec.excluded) !== contentHash) {
      report({ kind: 'edited', seq, id, detail: 'content differs from what was archived' })
      idsBySeq.set(seq, id ?? '')
    }
    if (linkHash(spec.name, seq, prevHash, contentHash) !== doc.hash) {
      unlinked.add(seq)
      const archivedAt = findOriginalPlace(spec.name, seq, prevHash, contentHash, String(doc.hash))
      report(
        archivedAt === null
          ? { kind: 'edited', seq, id, detail: 'chain fields were altered' }
          : {
              kind: 'reordered',
              seq,
              id,
              detail: `record archived at seq ${archivedAt} now sits at seq ${seq}`,
            },
      )
    }
    slots.set(seq, prevHash, String(doc.hash ?? ''))
    const time = doc.receivedAt ?? doc.at
    if (staleBefore !== null && time instanceof Date && time.getTime() < staleBefore) {
      staleSeq = Math.max(staleSeq, seq)
    }
  }
  options.onProgress?.(records)

  const tipSeq = slots.maxSeq
  checkLinks(slots, tipSeq, unlinked, report)
  const tips = await collections.tips
    .find({ chain: spec.name })
    .sort({ seq: -1 })
    .limit(1)
    .toArray()
  const knownTip = Number(tips[0]?.seq ?? 0)
  if (knownTip > tipSeq) {
    report({
      kind: 'truncated',
      seq: tipSeq + 1,
      id: null,
      detail: `records ${tipSeq + 1}..${knownTip} were appended and are gone`,
    })
  }
  const checkpoints = await loadCheckpoints(collections.checkpoints, spec.name)
  const verified = checkCheckpoints(checkpoints, slots, tipSeq, options.publicKey, report)
  const covered = checkpoints.at(-1)?.seq ?? 0
  if (staleSeq > covered) {
    report({
      kind: 'checkpoint-missing',
      seq: covered + 1,
      id: null,
      detail:
        `records ${covered + 1}..${staleSeq} are older than two checkpoint intervals and no ` +
        'signed checkpoint covers them (checkpoints deleted, or the service signs none)',
    })
  }

  problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER))
  await nameRecords(problems, collections.records, idsBySeq)
  return {
    chain: spec.name,
    records,
    tipSeq,
    tipHash: tipSeq > 0 ? slots.hash(tipSeq) : GENESIS_HASH,
    tombstones,
    checkpoints: {
      total: checkpoints.length,
      verified,
      unsigned: options.publicKey === null,
      lastSeq: checkpoints.at(-1)?.seq ?? null,
    },
    intact: problems.length === 0,
    problems,
  }
}

function checkLinks(
  slots: ChainSlots,
  tipSeq: number,
  unlinked: ReadonlySet<number>,
  report: (problem: Omit<ChainProblem, 'chain'>) => void,
): void {
  let missingFrom: number | null = null
  for (let seq = 1; seq <= tipSeq + 1; seq++) {
    const present = seq <= tipSeq && slots.has(seq)
    if (!present) {
      if (seq <= tipSeq && missingFrom === null) missingFrom = seq
      continue
    }
    if (missingFrom !== null) {
      const range = missingFrom === seq - 1 ? `${missingFrom}` : `${missingFrom}..${seq - 1}`
      report({ kind: 'deleted', seq: missingFrom, id: null, detail: `record ${range} is missing` })
      missingFrom = null
      continue
    }
    if (unlinked.has(seq) || unlinked.has(seq - 1)) continue
    if (!slots.linksBack(seq)) {
      // The record at seq is consistent in itself (checked in the walk), so it is the one
      // before it whose hash changed: rewritten, or replaced by a different record.
      report({
        kind: 'edited',
        seq: seq - 1,
        id: null,
        detail: `its hash no longer matches the link stored in record ${seq}`,
      })
    }
  }
}

function findOriginalPlace(
  chain: string,
  seq: number,
  prevHash: string,
  contentHash: string,
  hash: string,
): number | null {
  for (let distance = 1; distance <= REORDER_SEARCH; distance++) {
    for (const candidate of [seq - distance, seq + distance]) {
      if (candidate < 1) continue
      if (linkHash(chain, candidate, prevHash, contentHash) === hash) return candidate
    }
  }
  return null
}

/** Problems found from the links alone name a place; look up which record sits there. */
async function nameRecords(
  problems: ChainProblem[],
  records: Collection,
  known: Map<number, string>,
): Promise<void> {
  for (const problem of problems.slice(0, 5)) {
    if (problem.id !== null || problem.seq === null || problem.kind === 'deleted') continue
    if (problem.kind === 'truncated') continue
    const cached = known.get(problem.seq)
    if (cached) {
      problem.id = cached
      continue
    }
    const found = await records.findOne({ seq: problem.seq }, { projection: { _id: 1 } })
    problem.id = found ? idOf(found) : null
  }
}

function idOf(doc: Document): string | null {
  const id = doc._id as { toHexString?: () => string } | string | undefined
  if (id === undefined || id === null) return null
  return typeof id === 'string' ? id : (id.toHexString?.() ?? String(id))
}
