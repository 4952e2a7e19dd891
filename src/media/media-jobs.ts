import type { Agenda, Job } from 'agenda'
import { Types } from 'mongoose'
import { isWardenError } from '../errors/warden-error.js'
import { fetchAndStoreMedia, type MediaFetchDeps } from './fetch-media.js'

export const JOB_FETCH_MEDIA = 'warden.fetch-media'

export interface MediaJobDeps extends MediaFetchDeps {
  /** First retry after this, doubling each time; default 30 s. */
  retryBaseMs?: number
  /** Longest wait between tries, default 1 h (well inside the 3-day life of a media id). */
  retryMaxMs?: number
  /** Downloads at once in this process, default 4 (a file may be 20 MB). */
  concurrency?: number
}

interface MediaJobData {
  id: string
}

/** Defines the fetch job; a retryable failure throws so that agenda backs off and tries again. */
export function defineMediaJobs(agenda: Agenda, deps: MediaJobDeps): void {
  const baseMs = deps.retryBaseMs ?? 30_000
  const maxMs = deps.retryMaxMs ?? 3_600_000
  const maxRetries = (deps.maxAttempts ?? 8) - 1

  agenda.define<MediaJobData>(
    JOB_FETCH_MEDIA,
    async (job: Job<MediaJobData>) => {
      const outcome = await fetchAndStoreMedia(deps, new Types.ObjectId(job.attrs.data.id))
      if (outcome.retry && outcome.error) throw outcome.error
    },
    {
      concurrency: deps.concurrency ?? 4,
      backoff: ({ attempt, error }) => {
        if (attempt > maxRetries) return null
        // A rate limit says how long to stay away; anything else doubles.
        if (isWardenError(error) && typeof error.details.retryAfterSeconds === 'number') {
          return error.details.retryAfterSeconds * 1000
        }
        return Math.min(baseMs * 2 ** (attempt - 1), maxMs)
      },
    },
  )
}

/** Schedules the fetch now; one job per message however often this is called. */
export async function enqueueMediaFetch(agenda: Agenda, messageId: Types.ObjectId): Promise<void> {
  const id = messageId.toHexString()
  const job = agenda.create<MediaJobData>(JOB_FETCH_MEDIA, { id })
  job.unique({ name: JOB_FETCH_MEDIA, 'data.id': id })
  job.schedule(new Date())
  await job.save()
}
