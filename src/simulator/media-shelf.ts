import { randomBytes } from 'node:crypto'

/** WeCom keeps an uploaded or received media id for three days (doc 90253). */
export const MEDIA_LIFETIME_MS = 3 * 24 * 3600 * 1000

export interface SimulatedMediaOptions {
  contentType: string
  /** Sent in Content-Disposition; omitted when null. */
  filename: string | null
}

export interface StoredMedia extends SimulatedMediaOptions {
  bytes: Buffer
  createdAtMs: number
}

export type MediaLookup = { media: StoredMedia } | { errcode: number; errmsg: string }

/** The media/get half of WeCom: ids answer bytes until they expire, then 40007. */
export class MediaShelf {
  readonly #now: () => number
  readonly #items = new Map<string, StoredMedia>()

  constructor(now: () => number) {
    this.#now = now
  }

  add(bytes: Buffer, options: SimulatedMediaOptions): string {
    // Real ids are opaque 60-odd character strings; this keeps the shape, not the format.
    const mediaId = `3${randomBytes(45).toString('base64url')}`
    this.#items.set(mediaId, { ...options, bytes: Buffer.from(bytes), createdAtMs: this.#now() })
    return mediaId
  }

  get(mediaId: string | undefined): MediaLookup {
    const media = mediaId === undefined ? undefined : this.#items.get(mediaId)
    if (!media || this.#now() - media.createdAtMs >= MEDIA_LIFETIME_MS) {
      return { errcode: 40007, errmsg: 'invalid media_id' }
    }
    return { media }
  }
}
