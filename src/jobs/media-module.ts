import type { Agenda } from 'agenda'
import type { Types } from 'mongoose'
import { defineMediaJobs, enqueueMediaFetch, type MediaJobDeps } from '../media/media-jobs.js'
import type { JobModule } from './scheduler.js'

export interface MediaJobModule extends JobModule {
  enqueue(messageId: Types.ObjectId): Promise<void>
}

/** The media fetch job on the service's agenda, and a way to enqueue it once it is defined. */
export function mediaJobModule(deps: MediaJobDeps): MediaJobModule {
  let agenda: Agenda | null = null
  return {
    define(instance) {
      agenda = instance
      defineMediaJobs(instance, deps)
    },
    async enqueue(messageId) {
      if (!agenda) throw new Error('media jobs used before the scheduler was created')
      await enqueueMediaFetch(agenda, messageId)
    },
  }
}
