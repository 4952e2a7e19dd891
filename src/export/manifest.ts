import { MESSAGE_CHAIN } from '../archive/chain/chain-spec.js'
import type { Checkpoint } from '../archive/chain/checkpoint.js'
import type { LinkRow } from './chain-segment.js'
import type { FileDigest } from './hashing-writer.js'

export const EXPORT_FORMAT = 'wecom-warden/export/v1'

export interface ExportManifest {
  format: string
  exportId: string
  created: string
  actor: string
  filters: Record<string, unknown>
  counts: { messages: number; ruleHits: number; emlFiles: number; segmentRows: number }
  /** Every file of the export but this one, by path relative to the export directory. */
  files: Record<string, FileDigest>
  chain: {
    name: string
    firstSeq: number | null
    lastSeq: number | null
    segment: { from: number; to: number } | null
    tipHash: string | null
    checkpoint: (Omit<Checkpoint, 'at'> & { at: string }) | null
    contentHash: { excludes: string[]; method: string }
    linkHash: string
    checkpointMessage: string
  }
}

/** How a third party recomputes what the export claims, without warden. */
const CONTENT_HASH_METHOD =
  'SHA-256 (hex) of the RFC 8785 canonical JSON of the record in messages.jsonl without ' +
  'the excluded fields; records with a tombstone were disposed and only their links count'
const LINK_HASH_METHOD =
  'SHA-256 (hex) of "wecom-warden/chain/v1\\n" + chain + "\\n" + seq + "\\n" + prevHash + ' +
  '"\\n" + contentHash; each row\'s prevHash is the previous row\'s hash'
const CHECKPOINT_METHOD =
  'Ed25519 signature (base64) over the RFC 8785 JSON of {"type":"wecom-warden/checkpoint/v1",' +
  '"chain","seq","hash","at"} with at as an ISO 8601 time'

export function buildManifest(input: {
  exportId: string
  actor: string
  filters: Record<string, unknown>
  counts: ExportManifest['counts']
  files: Record<string, FileDigest>
  range: { first: number; last: number } | null
  segment: LinkRow[]
  checkpoint: Checkpoint | null
}): ExportManifest {
  const first = input.segment[0]
  const last = input.segment.at(-1)
  const files = Object.fromEntries(Object.entries(input.files).sort(([a], [b]) => (a < b ? -1 : 1)))
  return {
    format: EXPORT_FORMAT,
    exportId: input.exportId,
    created: new Date().toISOString(),
    actor: input.actor,
    filters: input.filters,
    counts: input.counts,
    files,
    chain: {
      name: MESSAGE_CHAIN.name,
      firstSeq: input.range?.first ?? null,
      lastSeq: input.range?.last ?? null,
      segment: first && last ? { from: first.seq, to: last.seq } : null,
      tipHash: last?.hash ?? null,
      checkpoint: input.checkpoint
        ? {
            chain: input.checkpoint.chain,
            seq: input.checkpoint.seq,
            hash: input.checkpoint.hash,
            at: input.checkpoint.at.toISOString(),
            keyId: input.checkpoint.keyId,
            signature: input.checkpoint.signature,
          }
        : null,
      contentHash: { excludes: [...MESSAGE_CHAIN.excluded].sort(), method: CONTENT_HASH_METHOD },
      linkHash: LINK_HASH_METHOD,
      checkpointMessage: CHECKPOINT_METHOD,
    },
  }
}
