import canonicalize from 'canonicalize'
import type { Collection } from 'mongodb'
import type { ChainTip } from './chain-appender.js'
import type { CheckpointSigner } from './signing-key.js'

export interface Checkpoint {
  chain: string
  seq: number
  hash: string
  at: Date
  keyId: string
  signature: string
}

/** The exact text a checkpoint's signature covers. */
export function checkpointMessage(checkpoint: Pick<Checkpoint, 'chain' | 'seq' | 'hash' | 'at'>) {
  const text = canonicalize({
    type: 'wecom-warden/checkpoint/v1',
    chain: checkpoint.chain,
    seq: checkpoint.seq,
    hash: checkpoint.hash,
    at: checkpoint.at.toISOString(),
  })
  return text as string
}

/**
 * Signs the chain's current tip, unless it is already checkpointed. Run by any replica on a
 * schedule; the unique (chain, seq) index keeps one checkpoint per place.
 */
export async function writeCheckpoint(
  checkpoints: Collection,
  chain: string,
  tip: ChainTip,
  signer: CheckpointSigner,
  now = new Date(),
): Promise<Checkpoint | null> {
  if (tip.seq === 0) return null
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000)
  const unsigned = { chain, seq: tip.seq, hash: tip.hash, at }
  const checkpoint: Checkpoint = {
    ...unsigned,
    keyId: signer.keyId,
    signature: signer.sign(checkpointMessage(unsigned)),
  }
  try {
    await checkpoints.insertOne({ ...checkpoint })
    return checkpoint
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return null
    throw err
  }
}

export async function loadCheckpoints(
  checkpoints: Collection,
  chain: string,
): Promise<Checkpoint[]> {
  const rows = await checkpoints.find({ chain }, { projection: { _id: 0 } }).toArray()
  return (rows as unknown as Checkpoint[]).sort((a, b) => a.seq - b.seq)
}
