import type { Collection } from 'mongodb'
import { linkHash } from '../archive/chain/canonical-record.js'
import type { Checkpoint } from '../archive/chain/checkpoint.js'
import { WardenError } from '../errors/warden-error.js'
import type { ScanStats } from '../search/query-plan.js'

export interface LinkRow {
  seq: number
  prevHash: string
  contentHash: string
  hash: string
}

/** Fetching more missing places than this one by one costs more than one full pass. */
const SINGLE_LOOKUPS = 256

/**
 * The link rows of every place from `first` to `last` (extended to the first signed
 * checkpoint at or after `last`, when there is one), in order. Rows of exported records are
 * already known; the places between them are fetched by `seq` equality when few, else in one
 * pass over the collection. The rows are checked to link up before they are handed out.
 */
export async function collectSegment(
  records: Collection,
  checkpoints: Checkpoint[],
  chain: string,
  range: { first: number; last: number },
  known: Map<number, LinkRow>,
  stats: ScanStats,
): Promise<{ rows: LinkRow[]; checkpoint: Checkpoint | null }> {
  const checkpoint = checkpoints.find((candidate) => candidate.seq >= range.last) ?? null
  const end = checkpoint?.seq ?? range.last
  const missing: number[] = []
  for (let seq = range.first; seq <= end; seq++) if (!known.has(seq)) missing.push(seq)

  if (missing.length > 0 && missing.length <= SINGLE_LOOKUPS) {
    for (const seq of missing) {
      stats.queries++
      const row = await records.findOne({ seq }, { projection: LINK_PROJECTION })
      if (row) known.set(seq, toLinkRow(row))
    }
  } else if (missing.length > 0) {
    stats.queries++
    const wanted = new Set(missing)
    for await (const row of records.find({}, { projection: LINK_PROJECTION, batchSize: 5000 })) {
      stats.fetched++
      if (wanted.has(row.seq as number)) known.set(row.seq as number, toLinkRow(row))
    }
  }

  const rows: LinkRow[] = []
  for (let seq = range.first; seq <= end; seq++) {
    const row = known.get(seq)
    if (!row) throw broken(chain, seq, 'the record at this place is missing')
    if (linkHash(chain, seq, row.prevHash, row.contentHash) !== row.hash) {
      throw broken(chain, seq, 'the record does not match its own link hash')
    }
    const previous = rows.at(-1)
    if (previous && row.prevHash !== previous.hash) {
      throw broken(chain, seq, 'the record does not link to the one before it')
    }
    rows.push(row)
  }
  if (checkpoint && rows.at(-1)?.hash !== checkpoint.hash) {
    throw broken(chain, checkpoint.seq, 'the chain differs from the signed checkpoint')
  }
  return { rows, checkpoint }
}

const LINK_PROJECTION = { _id: 0, seq: 1, prevHash: 1, contentHash: 1, hash: 1 }

export function toLinkRow(doc: Record<string, unknown>): LinkRow {
  return {
    seq: Number(doc.seq),
    prevHash: String(doc.prevHash),
    contentHash: String(doc.contentHash),
    hash: String(doc.hash),
  }
}

function broken(chain: string, seq: number, detail: string): WardenError {
  return new WardenError('WARDEN_ARCHIVE_CHAIN_BROKEN', {
    message: `cannot export: ${chain} chain is broken at seq ${seq}: ${detail} (run warden verify)`,
    details: { chain, seq },
  })
}
