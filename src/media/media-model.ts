import { type Connection, type Model, Schema, type Types } from 'mongoose'

export type MediaState = 'pending' | 'stored' | 'failed' | 'expired'

/** The message types whose callback carries a MediaId worth fetching. */
export const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'voice', 'video', 'file'])

export interface MediaError {
  code: string
  errcode: number | null
  at: Date
}

/**
 * One row per archived message with a MediaId: a summary for queries and the job. Its state is
 * written without a condition (FerretDB 1.x has none), so `media_results` is the truth about
 * what was stored; the row is brought level with it whenever the two disagree.
 */
export interface MediaRecord {
  _id: Types.ObjectId
  messageId: Types.ObjectId
  mediaId: string
  msgType: string
  /** When WeCom issued the id (the message's CreateTime, else its arrival): the 3-day clock. */
  issuedAt: Date
  state: MediaState
  attempts: number
  lastError: MediaError | null
  sha256: string | null
  size: number | null
  contentType: string | null
  filename: string | null
  gridFsId: Types.ObjectId | null
  fetchedAt: Date | null
  createdAt: Date
}

/**
 * The stored file of one message, keyed by the message id. Inserting it is how a fetch commits:
 * of two fetches racing, exactly one insert wins and the other deletes its own GridFS copy.
 */
export interface MediaResult {
  _id: string
  gridFsId: Types.ObjectId
  sha256: string
  size: number
  contentType: string | null
  filename: string | null
  fetchedAt: Date
}

export interface MediaModels {
  media: Model<MediaRecord>
  mediaResults: Model<MediaResult>
}

const mediaErrorSchema = new Schema<MediaError>(
  {
    code: { type: String, required: true },
    errcode: { type: Number, default: null },
    at: { type: Date, required: true },
  },
  { _id: false },
)

const mediaSchema = new Schema<MediaRecord>(
  {
    messageId: { type: Schema.Types.ObjectId, required: true, unique: true },
    mediaId: { type: String, required: true },
    msgType: { type: String, required: true },
    issuedAt: { type: Date, required: true },
    state: { type: String, required: true, default: 'pending', index: true },
    attempts: { type: Number, required: true, default: 0 },
    lastError: { type: mediaErrorSchema, default: null },
    sha256: { type: String, default: null },
    size: { type: Number, default: null },
    contentType: { type: String, default: null },
    filename: { type: String, default: null },
    gridFsId: { type: Schema.Types.ObjectId, default: null },
    fetchedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
  },
  { collection: 'media', versionKey: false, minimize: false, strict: 'throw' },
)

const resultSchema = new Schema<MediaResult>(
  {
    _id: { type: String, required: true },
    gridFsId: { type: Schema.Types.ObjectId, required: true },
    sha256: { type: String, required: true },
    size: { type: Number, required: true },
    contentType: { type: String, default: null },
    filename: { type: String, default: null },
    fetchedAt: { type: Date, required: true },
  },
  { collection: 'media_results', versionKey: false, minimize: false, strict: 'throw' },
)

export function mediaModel(connection: Connection): Model<MediaRecord> {
  return (
    (connection.models.Media as Model<MediaRecord> | undefined) ??
    connection.model<MediaRecord>('Media', mediaSchema)
  )
}

export function mediaResultModel(connection: Connection): Model<MediaResult> {
  return (
    (connection.models.MediaResult as Model<MediaResult> | undefined) ??
    connection.model<MediaResult>('MediaResult', resultSchema)
  )
}

/** Binds both models and makes sure the unique index on `media.messageId` exists. */
export async function initMediaModels(connection: Connection): Promise<MediaModels> {
  const models = { media: mediaModel(connection), mediaResults: mediaResultModel(connection) }
  await Promise.all(Object.values(models).map((model) => model.createIndexes()))
  return models
}
