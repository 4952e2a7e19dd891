import type { Agenda } from 'agenda'
import type { FastifyBaseLogger } from 'fastify'
import type { Connection } from 'mongoose'
import { ChainAppender } from '../archive/chain/chain-appender.js'
import { CHAINS, chainCollections } from '../archive/chain/chain-spec.js'
import { writeCheckpoint } from '../archive/chain/checkpoint.js'
import type { CheckpointSigner } from '../archive/chain/signing-key.js'
import type { JobModule } from './scheduler.js'

export const JOB_CHECKPOINT = 'warden.chain-checkpoint'

/** Signs the tip of every chain on a schedule; any replica may run it, one row per place. */
export function checkpointJobs(options: {
  connection: Connection
  signer: CheckpointSigner
  everyMinutes: number
  logger: FastifyBaseLogger
}): JobModule {
  const run = async () => {
    for (const spec of CHAINS) {
      const { records, tips, checkpoints } = chainCollections(options.connection, spec)
      const tip = await new ChainAppender(spec, records, tips).readTip()
      const written = await writeCheckpoint(checkpoints, spec.name, tip, options.signer)
      if (written) {
        options.logger.info(
          { chain: spec.name, seq: written.seq, keyId: written.keyId },
          'chain checkpoint signed',
        )
      }
    }
  }
  return {
    define(agenda: Agenda) {
      agenda.define(JOB_CHECKPOINT, run)
    },
    async schedule(agenda: Agenda) {
      await agenda.every(`${options.everyMinutes} minutes`, JOB_CHECKPOINT)
    },
  }
}
