import type { Agenda } from 'agenda'
import type { FastifyBaseLogger } from 'fastify'
import { type DispositionDeps, runDisposition } from '../retention/dispose.js'
import { loadRetentionFile } from '../retention/retention-rules.js'
import type { JobModule } from './scheduler.js'

export const JOB_DISPOSE = 'warden.dispose'

/**
 * The daily disposition run. The retention file is read at each run, so an edit applies from
 * the next one; a file that fails validation stops the run (nothing is disposed) and is logged.
 */
export function dispositionJobs(
  deps: Omit<DispositionDeps, 'policy'> & { retentionFile: string; logger: FastifyBaseLogger },
): JobModule {
  return {
    define(agenda: Agenda) {
      agenda.define(JOB_DISPOSE, async () => {
        const policy = await loadRetentionFile(deps.retentionFile)
        const report = await runDisposition({ ...deps, policy })
        deps.logger.info(
          { disposed: report.disposed, held: report.held, days: report.days },
          'disposition run',
        )
      })
    },
    async schedule(agenda: Agenda) {
      await agenda.every('1 day', JOB_DISPOSE)
    },
  }
}
