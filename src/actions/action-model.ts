import { type Connection, type Model, Schema, type Types } from 'mongoose'

export type ActionKindName = 'nudge' | 'escalate'
export type ActionStatus = 'pending' | 'sent' | 'failed'

/**
 * The ledger of side effects: one row per violation and kind, created before the job that
 * performs it. A job does nothing for a row already `sent`, which makes nudges and emails
 * idempotent under callback retries, job retries and restarts.
 */
export interface ActionRecord {
  _id: Types.ObjectId
  key: string
  violationId: Types.ObjectId
  kind: ActionKindName
  status: ActionStatus
  recipients: string[]
  attempts: number
  /** Lease held by the worker performing the action; another worker skips the row until then. */
  claimedUntil: Date | null
  lastError: { code: string; message: string; retryable: boolean } | null
  /** Per-recipient outcome, e.g. WeCom's invaliduser list, SMTP rejections. */
  result: {
    delivered: string[]
    rejected: string[]
    externalId: string | null
  } | null
  createdAt: Date
  updatedAt: Date
  sentAt: Date | null
}

const errorSchema = new Schema(
  { code: String, message: String, retryable: Boolean },
  { _id: false },
)
const resultSchema = new Schema(
  { delivered: [String], rejected: [String], externalId: String },
  { _id: false },
)

const actionSchema = new Schema<ActionRecord>(
  {
    key: { type: String, required: true, unique: true },
    violationId: { type: Schema.Types.ObjectId, required: true, index: true },
    kind: { type: String, required: true },
    status: { type: String, required: true, index: true },
    recipients: { type: [String], required: true },
    attempts: { type: Number, required: true, default: 0 },
    claimedUntil: { type: Date, default: null },
    lastError: { type: errorSchema, default: null },
    result: { type: resultSchema, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
  },
  { collection: 'actions', versionKey: false, strict: 'throw' },
)

export function actionModel(connection: Connection): Model<ActionRecord> {
  return (
    (connection.models.Action as Model<ActionRecord> | undefined) ??
    connection.model<ActionRecord>('Action', actionSchema)
  )
}
