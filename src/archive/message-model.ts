import { type Connection, type Model, Schema, type Types } from 'mongoose'
import type { SenderSnapshot } from '../wecom/user-directory.js'

export type Channel = 'app-callback'
export type MessageKind = 'message' | 'event' | 'unknown'
/** How a record relates to an earlier one: recalls and edits never change the original. */
export type Relation = 'recall' | 'edit' | 'delete'

/** Who sent it, as the directory said when it was archived (names, not only ids). */
export type { SenderSnapshot }

/** What is left of a record after its retention ran out: enough for the chain to verify. */
export interface Tombstone {
  at: Date
  retentionRule: string
  /** The audit record that holds the disposal. */
  auditSeq: number
}
export type ProcessingState = 'pending' | 'evaluated' | 'failed'

/**
 * One archived callback. Content fields are written once; only `processing` ever changes (and
 * a disposal, which empties the record and leaves its chain fields and a tombstone).
 */
export interface ArchivedMessage {
  _id: Types.ObjectId
  /** Place in the `messages` hash chain; see src/archive/chain. */
  seq: number
  prevHash: string
  hash: string
  contentHash: string
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
  /** Conversation the message belongs to; null for a one-to-one message to the app. */
  chatId: string | null
  sender: SenderSnapshot | null
  /** The earlier record this one recalls or edits; the original stays as it was. */
  relatesTo: Types.ObjectId | null
  relation: Relation | null
  /** Search keys (not content): calendar day in ARCHIVE_TIMEZONE and text n-grams. */
  day: string
  grams: string[]
  tombstone?: Tombstone | null
  /** Pipeline bookkeeping, not archive content (outside the content hash). */
  processing: {
    state: ProcessingState
    policyVersion: string | null
    evaluatedAt: Date | null
    errorCode?: string | null
  }
}

const messageSchema = new Schema<ArchivedMessage>(
  {
    seq: { type: Number, required: true },
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
    contentHash: { type: String, required: true },
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
    chatId: { type: String, default: null },
    sender: { type: Schema.Types.Mixed, default: null },
    relatesTo: { type: Schema.Types.ObjectId, default: null },
    relation: { type: String, default: null },
    day: { type: String, required: true },
    grams: { type: [String], default: [] },
    tombstone: { type: Schema.Types.Mixed, default: undefined },
    processing: {
      state: { type: String, required: true, default: 'pending', index: true },
      policyVersion: { type: String, default: null },
      evaluatedAt: { type: Date, default: null },
      errorCode: { type: String, default: null },
    },
  },
  { collection: 'messages', versionKey: false, minimize: false, strict: 'throw' },
)

// What search filters by (MongoDB serves these from the indexes; see README, Search). The
// `grams` index is created in open-archive.ts, only where it can work.
messageSchema.index({ fromUser: 1, day: -1 })
messageSchema.index({ chatId: 1, day: -1 })
messageSchema.index({ day: -1, msgType: 1 })
messageSchema.index({ relatesTo: 1 })

export function messageModel(connection: Connection): Model<ArchivedMessage> {
  return (
    (connection.models.Message as Model<ArchivedMessage> | undefined) ??
    connection.model<ArchivedMessage>('Message', messageSchema)
  )
}
