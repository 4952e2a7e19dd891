import type { KeyObject } from 'node:crypto'
import type { ChainSlots } from './chain-slots.js'
import { type Checkpoint, checkpointMessage } from './checkpoint.js'
import { verifySignature } from './signing-key.js'
import type { ChainProblem } from './verify-chain.js'

/**
 * Checks each signed checkpoint against the walked chain: signed by the key, not beyond the
 * chain's end, and equal to the hash at its place. Returns how many verified.
 */
export function checkCheckpoints(
  checkpoints: Checkpoint[],
  slots: ChainSlots,
  tipSeq: number,
  publicKey: KeyObject | null,
  report: (problem: Omit<ChainProblem, 'chain'>) => void,
): number {
  let verified = 0
  for (const checkpoint of checkpoints) {
    if (
      publicKey &&
      !verifySignature(publicKey, checkpointMessage(checkpoint), checkpoint.signature)
    ) {
      report({
        kind: 'checkpoint-signature',
        seq: checkpoint.seq,
        id: null,
        detail: `checkpoint at seq ${checkpoint.seq} is not signed by the configured key`,
      })
      continue
    }
    if (checkpoint.seq > tipSeq) {
      report({
        kind: 'truncated',
        seq: tipSeq + 1,
        id: null,
        detail: `a signed checkpoint covers seq ${checkpoint.seq} but the chain ends at ${tipSeq}`,
      })
      continue
    }
    if (!slots.has(checkpoint.seq) || slots.hash(checkpoint.seq) !== checkpoint.hash) {
      report({
        kind: 'checkpoint-mismatch',
        seq: checkpoint.seq,
        id: null,
        detail: `the chain up to seq ${checkpoint.seq} differs from the signed checkpoint`,
      })
      continue
    }
    if (publicKey) verified++
  }
  return verified
}
