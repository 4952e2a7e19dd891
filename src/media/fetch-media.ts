import { createHash } from 'node:crypto'
import { type Connection, mongo, Types } from 'mongoose'
import { insertOnce } from '../archive/insert-once.js'
import { isWardenError } from '../errors/warden-error.js'
import type { MediaFile, WecomLogger } from '../wecom/types.js'
import type { MediaModels, MediaRecord, MediaResult, MediaState } from './media-model.js'

/** WeCom answers a media id for three days after it was issued. */
export const MEDIA_ID_LIFETIME_MS = 3 * 24 * 3600 * 1000
export const MEDIA_BUCKET = 'media'

/** invalid media_id: unknown or expired. Not worth another try. */
const INVALID_MEDIA_ID = 40007
/** Our clock and WeCom's differ: a 40007 this close to the end is taken as expiry. */
const EXPIRY_SKEW_MS = 10 * 60_000

export interface MediaFetchDeps {
  connection: Connection
  models: MediaModels
  /** Usually `(id) => wecomClient.getMedia(id)`. */
  fetchMedia(mediaId: string): Promise<MediaFile>
  /** Tries before a retryable failure is given up, default 8. */
  maxAttempts?: number
  logger?: WecomLogger
  now?: () => Date
}

export interface MediaFetchOutcome {
  state: MediaState | 'missing'
  /** Worth another try later; `error` says why this one failed. */
  retry: boolean
  error?: Error
  gridFsId?: Types.ObjectId
}

export function mediaBucket(connection: Connection): mongo.GridFSBucket {
  if (!connection.db) throw new Error('media bucket needs a connected database')
  return new mongo.GridFSBucket(connection.db, { bucketName: MEDIA_BUCKET })
}

/**
 * Fetches one message's media and stores the bytes in GridFS with SHA-256 and size. Safe to run
 * again, and twice at once: a settled row is left alone, and of two stores the first commit
 * (a unique-key insert) wins while the other removes its copy, so one file remains.
 */
export async function fetchAndStoreMedia(
  deps: MediaFetchDeps,
  messageId: Types.ObjectId,
): Promise<MediaFetchOutcome> {
  const now = deps.now ?? (() => new Date())
  const record = await deps.models.media.findOne({ messageId }).lean()
  if (!record) return { state: 'missing', retry: false }

  const committed = await findResult(deps.models, messageId)
  if (committed) return settleStored(deps.models, record, committed)
  if (record.state !== 'pending') return { state: record.state, retry: false }
  if (isExpired(record, now())) return markExpired(deps, record)

  let file: MediaFile
  try {
    file = await deps.fetchMedia(record.mediaId)
  } catch (err) {
    return recordFailure(deps, record, err as Error, now())
  }
  const result = await storeFile(deps, record, file, now())
  return settleStored(deps.models, record, result)
}

/** Opens a stored file for reading (export, review). */
export function openStoredMedia(connection: Connection, gridFsId: Types.ObjectId) {
  return mediaBucket(connection).openDownloadStream(gridFsId)
}

function findResult(models: MediaModels, messageId: Types.ObjectId) {
  return models.mediaResults.findById(messageId.toHexString()).lean<MediaResult>()
}

function isExpired(record: MediaRecord, now: Date, skewMs = 0): boolean {
  return now.getTime() - record.issuedAt.getTime() >= MEDIA_ID_LIFETIME_MS - skewMs
}

async function storeFile(
  deps: MediaFetchDeps,
  record: MediaRecord,
  file: MediaFile,
  fetchedAt: Date,
): Promise<MediaResult> {
  const sha256 = createHash('sha256').update(file.bytes).digest('hex')
  const gridFsId = new Types.ObjectId()
  const bucket = mediaBucket(deps.connection)
  await new Promise<void>((resolve, reject) => {
    const upload = bucket.openUploadStreamWithId(gridFsId, file.filename ?? record.mediaId, {
      metadata: {
        messageId: record.messageId,
        mediaId: record.mediaId,
        sha256,
        contentType: file.contentType,
      },
    })
    upload.once('error', reject)
    upload.once('finish', () => resolve())
    upload.end(file.bytes)
  })

  const mine: MediaResult = {
    _id: record.messageId.toHexString(),
    gridFsId,
    sha256,
    size: file.bytes.length,
    contentType: file.contentType,
    filename: file.filename,
    fetchedAt,
  }
  await insertOnce(deps.models.mediaResults, mine)
  const winner = await findResult(deps.models, record.messageId)
  if (!winner) throw new Error('media result vanished after its insert')
  // Lost the race: another fetch committed first. Remove this copy so one file remains.
  if (!winner.gridFsId.equals(gridFsId)) await bucket.delete(gridFsId)
  return winner
}

async function settleStored(
  models: MediaModels,
  record: MediaRecord,
  result: MediaResult,
): Promise<MediaFetchOutcome> {
  const outcome = { state: 'stored' as const, retry: false, gridFsId: result.gridFsId }
  if (record.state === 'stored' && record.gridFsId?.equals(result.gridFsId)) return outcome

  await models.media.updateOne(
    { messageId: record.messageId },
    {
      $set: {
        state: 'stored',
        attempts: record.attempts + 1,
        sha256: result.sha256,
        size: result.size,
        contentType: result.contentType,
        filename: result.filename,
        gridFsId: result.gridFsId,
        fetchedAt: result.fetchedAt,
      },
    },
  )
  return outcome
}

async function markExpired(deps: MediaFetchDeps, record: MediaRecord): Promise<MediaFetchOutcome> {
  await deps.models.media.updateOne({ messageId: record.messageId }, { $set: { state: 'expired' } })
  deps.logger?.warn(
    { messageId: record.messageId.toHexString(), attempts: record.attempts },
    'media expired before it was fetched',
  )
  return repairIfCommitted(deps, record, { state: 'expired', retry: false })
}

async function recordFailure(
  deps: MediaFetchDeps,
  record: MediaRecord,
  error: Error,
  now: Date,
): Promise<MediaFetchOutcome> {
  const attempts = record.attempts + 1
  const errcode = isWardenError(error) ? toNumber(error.details.errcode) : null
  const retryable = isWardenError(error) && error.details.retryable === true
  let state: MediaState = 'pending'
  if (errcode === INVALID_MEDIA_ID)
    state = isExpired(record, now, EXPIRY_SKEW_MS) ? 'expired' : 'failed'
  else if (!retryable || attempts >= (deps.maxAttempts ?? 8)) state = 'failed'

  const code = isWardenError(error) ? error.code : 'WARDEN_INTERNAL'
  await deps.models.media.updateOne(
    { messageId: record.messageId },
    { $set: { state, attempts, lastError: { code, errcode, at: now } } },
  )
  const messageId = record.messageId.toHexString()
  deps.logger?.warn({ messageId, attempts, code, errcode, state }, 'media fetch failed')
  return repairIfCommitted(deps, record, { state, retry: state === 'pending', error })
}

/**
 * A failure written after a concurrent fetch committed would hide the stored file: look again
 * and put the stored state back.
 */
async function repairIfCommitted(
  deps: MediaFetchDeps,
  record: MediaRecord,
  outcome: MediaFetchOutcome,
): Promise<MediaFetchOutcome> {
  const committed = await findResult(deps.models, record.messageId)
  if (!committed) return outcome
  return settleStored(deps.models, { ...record, state: 'pending' }, committed)
}

function toNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}
