import type { Types } from 'mongoose'
import { insertOnce } from '../archive/insert-once.js'
import { MEDIA_TYPES, type MediaModels } from './media-model.js'

/** The parts of an archived message that say whether it carries media. */
export interface MediaSource {
  _id: Types.ObjectId
  msgType: string | null
  createTime: Date | null
  receivedAt: Date
  fields: Record<string, unknown>
}

/**
 * Records that a message's media is to be fetched; returns true when the caller should enqueue
 * the fetch. One insert, no network: text ingestion never waits for media. Safe to call again
 * for a re-delivered callback (the unique message id keeps one row).
 */
export async function registerMedia(
  models: Pick<MediaModels, 'media'>,
  message: MediaSource,
  now: Date = new Date(),
): Promise<boolean> {
  const mediaId = readMediaId(message)
  if (mediaId === null || message.msgType === null) return false

  await insertOnce(models.media, {
    messageId: message._id,
    mediaId,
    msgType: message.msgType,
    issuedAt: message.createTime ?? message.receivedAt,
    state: 'pending',
    attempts: 0,
    lastError: null,
    sha256: null,
    size: null,
    contentType: null,
    filename: null,
    gridFsId: null,
    fetchedAt: null,
    createdAt: now,
  })
  return true
}

/** The MediaId of an image, voice, video or file message; null for anything else. */
export function readMediaId(message: Pick<MediaSource, 'msgType' | 'fields'>): string | null {
  if (message.msgType === null || !MEDIA_TYPES.has(message.msgType)) return null
  const value = message.fields.MediaId
  if (typeof value !== 'string') return null
  const mediaId = value.trim()
  return mediaId === '' ? null : mediaId
}
