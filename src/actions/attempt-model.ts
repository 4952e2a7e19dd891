import { type Connection, type Model, Schema, type Types } from 'mongoose'

/**
 * One row per try at performing an action, keyed `<actionId>:<attempt number>`. Inserting the
 * row is how a worker claims the try: a unique-key insert is atomic on MongoDB and on FerretDB
 * alike, where a findOneAndUpdate or a conditional update is not (FerretDB 1.x reads, then
 * writes the whole document). Only the worker that inserted a row ever updates it, so this
 * collection, not the action row, is the truth about what was sent. The rows stay as the
 * history of every try and its outcome.
 */
export interface ActionAttempt {
  _id: string
  actionId: Types.ObjectId
  attempt: number
  owner: string
  leaseUntil: Date
  startedAt: Date
  finishedAt: Date | null
  outcome: 'sent' | 'retry' | 'failed' | null
  errorCode: string | null
  /** What the send reported, on success: copied to the action row. */
  result: { delivered: string[]; rejected: string[]; externalId: string | null } | null
}

const attemptSchema = new Schema<ActionAttempt>(
  {
    _id: { type: String, required: true },
    actionId: { type: Schema.Types.ObjectId, required: true, index: true },
    attempt: { type: Number, required: true },
    owner: { type: String, required: true },
    leaseUntil: { type: Date, required: true },
    startedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
    outcome: { type: String, default: null },
    errorCode: { type: String, default: null },
    result: { type: Schema.Types.Mixed, default: null },
  },
  { collection: 'action_attempts', versionKey: false, strict: 'throw' },
)

export function attemptModel(connection: Connection): Model<ActionAttempt> {
  return (
    (connection.models.ActionAttempt as Model<ActionAttempt> | undefined) ??
    connection.model<ActionAttempt>('ActionAttempt', attemptSchema)
  )
}
