import type { Connection } from 'mongoose'

/** Fields every chained record carries for the chain itself; never part of the content. */
export const LINK_FIELDS = ['seq', 'prevHash', 'hash', 'contentHash'] as const

/** A chained collection: its name in the links and the fields its content hash leaves out. */
export interface ChainSpec {
  /** Bound into every link hash, so records cannot be moved between chains. */
  name: string
  collection: string
  excluded: ReadonlySet<string>
}

function chainSpec(name: string, collection: string, bookkeeping: string[]): ChainSpec {
  return { name, collection, excluded: new Set([...LINK_FIELDS, ...bookkeeping]) }
}

/**
 * Archived messages. `processing` is pipeline state, `day` and `grams` are search keys derived
 * from the content, and `tombstone` marks a lawful disposal: none of them is archive content.
 */
export const MESSAGE_CHAIN = chainSpec('messages', 'messages', [
  'processing',
  'day',
  'grams',
  'tombstone',
])

/** Every search, export, hold, disposal, policy change and admin command. */
export const AUDIT_CHAIN = chainSpec('audit', 'audit_log', [])

export const CHAINS = [MESSAGE_CHAIN, AUDIT_CHAIN] as const

export const CHAIN_TIPS_COLLECTION = 'chain_tips'
export const CHECKPOINTS_COLLECTION = 'chain_checkpoints'

export function chainCollections(connection: Connection, spec: ChainSpec) {
  const db = connection.db
  if (!db) throw new Error('chain needs a connected database')
  return {
    records: db.collection(spec.collection),
    tips: db.collection(CHAIN_TIPS_COLLECTION),
    checkpoints: db.collection(CHECKPOINTS_COLLECTION),
  }
}

/** The unique indexes the chain relies on: one record per place, one tip row per place. */
export async function ensureChainIndexes(connection: Connection): Promise<void> {
  for (const spec of CHAINS) {
    const { records } = chainCollections(connection, spec)
    await records.createIndex({ seq: 1 }, { unique: true, name: 'chain_seq' })
  }
  // Shared by every chain: one index each, created once.
  const { tips, checkpoints } = chainCollections(connection, MESSAGE_CHAIN)
  await tips.createIndex({ chain: 1, seq: 1 }, { unique: true, name: 'chain_tip' })
  await checkpoints.createIndex({ chain: 1, seq: 1 }, { unique: true, name: 'chain_checkpoint' })
}
