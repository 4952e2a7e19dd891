import { type Connection, type Model, Schema, type Types } from 'mongoose'

export type Channel = 'app-callback'
export type MessageKind = 'message' | 'event' | 'unknown'
export type ProcessingState = 'pending' | 'evaluated' | 'failed'

/** One archived callback. Content fields are written once; only `processing` ever changes. */
export interface ArchivedMessage {
  _id: Types.ObjectId
  /** Unique: channel, corp, agent, sender and msgId together, so WeCom's retries collide. */
  dedupeKey: string
  /** WeCom MsgId as a string (it exceeds 2^53), or a key derived from every field of an event. */
  msgId: string
  hasWecomMsgId: boolean
  channel: Channel
  kind: MessageKind
  msgType: string | null
  event: string | null
  corpId: string | null
  agentId: string | null
  fromUser: string | null
  content: string | null
  createTime: Date | null
  receivedAt: Date
  /** The decrypted plaintext exactly as received: as text, or base64 when it held U+0000. */
  rawXml: string
  rawXmlEncoding: 'utf8' | 'base64'
  fields: Record<string, unknown>
  /** Pipeline bookkeeping, not archive content (excluded from tamper evidence in #4). */
  processing: {
    state: ProcessingState
    policyVersion: string | null
    evaluatedAt: Date | null
    errorCode?: string | null
  }
}

const messageSchema = new Schema<ArchivedMessage>(
  {
    dedupeKey: { type: String, required: true, unique: true },
    msgId: { type: String, required: true, index: true },
    hasWecomMsgId: { type: Boolean, required: true },
    channel: { type: String, required: true },
    kind: { type: String, required: true },
    msgType: { type: String, default: null },
    event: { type: String, default: null },
    corpId: { type: String, default: null },
    agentId: { type: String, default: null },
    fromUser: { type: String, default: null, index: true },
    content: { type: String, default: null },
    createTime: { type: Date, default: null },
    receivedAt: { type: Date, required: true, index: true },
    rawXml: { type: String, default: '' },
    rawXmlEncoding: { type: String, required: true, default: 'utf8' },
    fields: { type: Schema.Types.Mixed, required: true },
    processing: {
      state: { type: String, required: true, default: 'pending', index: true },
      policyVersion: { type: String, default: null },
      evaluatedAt: { type: Date, default: null },
      errorCode: { type: String, default: null },
    },
  },
  { collection: 'messages', versionKey: false, minimize: false, strict: 'throw' },
)

export function messageModel(connection: Connection): Model<ArchivedMessage> {
  return (
    (connection.models.Message as Model<ArchivedMessage> | undefined) ??
    connection.model<ArchivedMessage>('Message', messageSchema)
  )
}
