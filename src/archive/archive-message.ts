import type { Model, Types } from 'mongoose'
import { WardenError } from '../errors/warden-error.js'
import type { InboundMessage } from '../parse/inbound-message.js'
import type { ArchiveDays } from './archive-days.js'
import { GENESIS_HASH } from './chain/canonical-record.js'
import type { ChainAppender } from './chain/chain-appender.js'
import type { ArchivedMessage, Channel, SenderSnapshot } from './message-model.js'
import { dayOf, textGrams } from './search-keys.js'

export interface ArchiveResult {
  id: Types.ObjectId
  /** True when WeCom re-delivered a callback that is already archived. */
  duplicate: boolean
  /** Place in the messages chain (-1 for a duplicate). */
  seq: number
}

/** Where messages are archived: the collection, its hash chain and the day boundary. */
export interface MessageArchive {
  messages: Model<ArchivedMessage>
  chain: ChainAppender
  timeZone: string
  days: ArchiveDays
}

export interface ArchiveExtras {
  sender?: SenderSnapshot | null
  chatId?: string | null
}

const DUPLICATE_KEY = 11000

export function buildDedupeKey(channel: Channel, inbound: InboundMessage): string {
  return [channel, inbound.corpId, inbound.agentId, inbound.fromUser, inbound.msgId]
    .map((part) => part ?? '')
    .join(':')
}

/**
 * Appends one decrypted callback to the archive chain, durably (majority, journaled). A
 * re-delivery of the same message hits the unique key and reports the existing record instead
 * of writing a second. A record the database refuses for its content is stored again in a
 * reduced form (raw bytes as base64, nothing derived), so that every authentic callback is kept.
 */
export async function archiveMessage(
  archive: MessageArchive,
  channel: Channel,
  inbound: InboundMessage,
  rawXml: string,
  receivedAt: Date,
  extras: ArchiveExtras = {},
): Promise<ArchiveResult> {
  const dedupeKey = buildDedupeKey(channel, inbound)
  const record = buildRecord(dedupeKey, channel, inbound, rawXml, receivedAt, archive, extras)
  try {
    return await appendRecord(archive, record)
  } catch (err) {
    if (!isContentRefusal(err)) throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause: err })
    try {
      return await appendRecord(archive, reduceRecord(record, rawXml))
    } catch (second) {
      throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause: second })
    }
  }
}

type ChainFields = 'seq' | 'prevHash' | 'hash' | 'contentHash'
export type NewRecord = Omit<ArchivedMessage, '_id' | ChainFields>

/**
 * Casts and validates the record as the schema says (defaults included), then appends exactly
 * that document: what is hashed is what is stored.
 */
async function appendRecord(archive: MessageArchive, record: NewRecord): Promise<ArchiveResult> {
  const plain = await castRecord(archive, record)
  await archive.days.note(record.day)
  const appended = await archive.chain.append(plain, {
    field: 'dedupeKey',
    value: record.dedupeKey,
  })
  return {
    id: appended.id as unknown as Types.ObjectId,
    duplicate: appended.duplicate,
    seq: appended.seq,
  }
}

/** The record as the schema casts it (defaults included), without the chain fields. */
export async function castRecord(archive: MessageArchive, record: NewRecord) {
  const placeholder = {
    seq: 0,
    prevHash: GENESIS_HASH,
    hash: GENESIS_HASH,
    contentHash: GENESIS_HASH,
  }
  const doc = new archive.messages({ ...record, ...placeholder })
  await doc.validate()
  const {
    seq: _s,
    prevHash: _p,
    hash: _h,
    contentHash: _c,
    ...plain
  } = doc.toObject({
    versionKey: false,
    depopulate: true,
  })
  return plain
}

/**
 * Bulk-appends records that were built elsewhere (imports, tests, the archive benchmark):
 * each is cast and validated like a callback's, then chained in order.
 */
export async function appendMessageRecords(
  archive: MessageArchive,
  records: NewMessageRecord[],
): Promise<number> {
  const plain = []
  for (const record of records) {
    const day = dayOf(record.createTime ?? record.receivedAt, archive.timeZone)
    await archive.days.note(day)
    plain.push(await castRecord(archive, { ...record, day, grams: textGrams(record.content) }))
  }
  return archive.chain.appendMany(plain)
}

/** A record built outside the callback path; `_id` may be chosen by the caller. */
export type NewMessageRecord = Omit<NewRecord, 'day' | 'grams'> & { _id?: Types.ObjectId }

function buildRecord(
  dedupeKey: string,
  channel: Channel,
  inbound: InboundMessage,
  rawXml: string,
  receivedAt: Date,
  archive: MessageArchive,
  extras: ArchiveExtras,
): NewRecord {
  // PostgreSQL-backed servers refuse U+0000 in text: such bytes are kept in base64 instead.
  const rawIsText = !rawXml.includes('\0')
  const createTime = toDate(inbound.createTime)
  const content = storableText(inbound.content)
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
    content,
    createTime,
    receivedAt,
    rawXml: rawIsText ? rawXml : Buffer.from(rawXml, 'utf8').toString('base64'),
    rawXmlEncoding: rawIsText ? 'utf8' : 'base64',
    fields: storableFields(inbound.fields) as Record<string, unknown>,
    chatId: extras.chatId ?? null,
    sender: extras.sender ?? null,
    relatesTo: null,
    relation: null,
    day: dayOf(createTime ?? receivedAt, archive.timeZone),
    grams: textGrams(content),
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
    grams: [],
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
