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
 */
export async function archiveMessage(
  messages: Model<ArchivedMessage>,
  channel: Channel,
  inbound: InboundMessage,
  rawXml: string,
  receivedAt: Date,
): Promise<ArchiveResult> {
  const dedupeKey = buildDedupeKey(channel, inbound)
  try {
    const [created] = await messages.insertMany([
      {
        dedupeKey,
        msgId: inbound.msgId,
        hasWecomMsgId: inbound.hasWecomMsgId,
        channel,
        kind: inbound.kind,
        msgType: inbound.msgType,
        event: inbound.event,
        corpId: inbound.corpId,
        agentId: inbound.agentId,
        fromUser: inbound.fromUser,
        content: inbound.content,
        createTime: toDate(inbound.createTime),
        receivedAt,
        rawXml,
        fields: storableFields(inbound.fields) as Record<string, unknown>,
        processing: { state: 'pending', policyVersion: null, evaluatedAt: null },
      },
    ])
    if (!created) throw new Error('insert returned no document')
    return { id: created._id, duplicate: false }
  } catch (err) {
    if ((err as { code?: number }).code !== DUPLICATE_KEY) {
      throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause: err })
    }
    const existing = await messages.findOne({ dedupeKey }, { _id: 1 }).lean()
    if (!existing) throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause: err })
    return { id: existing._id, duplicate: true }
  }
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
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [name, child] of Object.entries(value)) {
    const safe = name.replaceAll('.', '\uFF0E').replace(/^\$/, '\uFF04')
    out[safe] = storableFields(child)
  }
  return out
}
