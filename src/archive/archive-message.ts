import type { Model, Types } from 'mongoose'
import { WardenError } from '../errors/warden-error.js'
import type { InboundMessage } from '../parse/inbound-message.js'
import type { ArchivedMessage, Channel } from './message-model.js'

export interface ArchiveResult {
  id: Types.ObjectId
  /** True when WeCom re-delivered a callback that is already archived. */
  duplicate: boolean
}

const DUPLICATE_KEY = 11000

export function buildDedupeKey(channel: Channel, inbound: InboundMessage): string {
  return [channel, inbound.corpId, inbound.agentId, inbound.fromUser, inbound.msgId]
    .map((part) => part ?? '')
    .join(':')
}

/**
 * Writes one decrypted callback durably (majority, journaled). A re-delivery of the same
 * message hits the unique key and reports the existing record instead of writing a second.
 * A record the database refuses for its content is stored again in a reduced form (raw bytes
 * as base64, nothing derived), so that every authentic callback is kept.
 */
export async function archiveMessage(
  messages: Model<ArchivedMessage>,
  channel: Channel,
  inbound: InboundMessage,
  rawXml: string,
  receivedAt: Date,
): Promise<ArchiveResult> {
  const dedupeKey = buildDedupeKey(channel, inbound)
  const record = buildRecord(dedupeKey, channel, inbound, rawXml, receivedAt)
  try {
    return await insertRecord(messages, record)
  } catch (err) {
    if (!isContentRefusal(err)) throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause: err })
    try {
      return await insertRecord(messages, reduceRecord(record, rawXml))
    } catch (second) {
      throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause: second })
    }
  }
}

type NewRecord = Omit<ArchivedMessage, '_id'>

async function insertRecord(messages: Model<ArchivedMessage>, record: NewRecord) {
  try {
    const [created] = await messages.insertMany([record])
    if (!created) throw new Error('insert returned no document')
    return { id: created._id, duplicate: false }
  } catch (err) {
    if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err
    const existing = await messages.findOne({ dedupeKey: record.dedupeKey }, { _id: 1 }).lean()
    if (!existing) throw err
    return { id: existing._id, duplicate: true }
  }
}

function buildRecord(
  dedupeKey: string,
  channel: Channel,
  inbound: InboundMessage,
  rawXml: string,
  receivedAt: Date,
): NewRecord {
  // PostgreSQL-backed servers refuse U+0000 in text: such bytes are kept in base64 instead.
  const rawIsText = !rawXml.includes('\0')
  return {
    dedupeKey,
    msgId: inbound.msgId,
    hasWecomMsgId: inbound.hasWecomMsgId,
    channel,
    kind: inbound.kind,
    msgType: storableText(inbound.msgType),
    event: storableText(inbound.event),
    corpId: storableText(inbound.corpId),
    agentId: storableText(inbound.agentId),
    fromUser: storableText(inbound.fromUser),
    content: storableText(inbound.content),
    createTime: toDate(inbound.createTime),
    receivedAt,
    rawXml: rawIsText ? rawXml : Buffer.from(rawXml, 'utf8').toString('base64'),
    rawXmlEncoding: rawIsText ? 'utf8' : 'base64',
    fields: storableFields(inbound.fields) as Record<string, unknown>,
    processing: { state: 'pending', policyVersion: null, evaluatedAt: null },
  }
}

/** Only the raw bytes and the keys: for a record whose derived fields the database refused. */
function reduceRecord(record: NewRecord, rawXml: string): NewRecord {
  return {
    ...record,
    kind: 'unknown',
    msgType: null,
    event: null,
    content: null,
    rawXml: Buffer.from(rawXml, 'utf8').toString('base64'),
    rawXmlEncoding: 'base64',
    fields: { unstorable: true },
  }
}

/** A refusal of what the record holds, as opposed to the database being unreachable. */
function isContentRefusal(err: unknown): boolean {
  const name = (err as { name?: string }).name
  const code = (err as { code?: number }).code
  return (
    name === 'ValidationError' ||
    name === 'CastError' ||
    (name === 'MongoServerError' && code !== undefined && code !== DUPLICATE_KEY)
  )
}

/** Text a PostgreSQL-backed server accepts: no U+0000, no lone surrogates. */
function storableText<T extends string | null>(text: T): T {
  if (text === null) return text
  return text.toWellFormed().replaceAll('\0', '\uFFFD') as T
}

/** A CreateTime outside what a Date can hold is kept only in the raw XML. */
function toDate(seconds: number | null): Date | null {
  if (seconds === null || !Number.isFinite(seconds)) return null
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? null : date
}

/**
 * XML element names may contain '.', which some MongoDB-protocol servers refuse as field
 * names; '$' prefixes are operators. Both are swapped for full-width look-alikes so that any
 * well-formed callback can be stored (the raw XML keeps the original names).
 */
export function storableFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(storableFields)
  if (typeof value === 'string') return storableText(value)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [name, child] of Object.entries(value)) {
    const safe = storableText(name).replaceAll('.', '\uFF0E').replace(/^\$/, '\uFF04')
    out[safe] = storableFields(child)
  }
  return out
}
