import type { Types } from 'mongoose'
import { WardenError } from '../errors/warden-error.js'
import { type ArchiveResult, castRecord, type MessageArchive } from './archive-message.js'
import type { Channel, Relation, SenderSnapshot } from './message-model.js'
import { dayOf, textGrams } from './search-keys.js'

export interface RelationInput {
  channel: Channel
  /** The archived record this one recalls, edits or deletes; it is never changed. */
  original: Types.ObjectId
  relation: Relation
  /** Who recalled or edited it, as the channel reports. */
  fromUser: string | null
  sender?: SenderSnapshot | null
  at: Date
  /** The new text of an edit; null for a recall or deletion. */
  content: string | null
  /** What the channel said, as received (kept like any raw callback). */
  raw: string
  /** Distinguishes two edits of one message (the channel's event or version id). */
  eventKey: string
}

/**
 * Archives a recall, edit or deletion as a new record that points at the original. The
 * original stays exactly as archived — that is the point of an archive — and reviewers see
 * both, linked by `relatesTo`.
 */
export async function archiveRelation(
  archive: MessageArchive,
  input: RelationInput,
): Promise<ArchiveResult> {
  const original = await archive.messages
    .findById(input.original, { _id: 1, chatId: 1, msgId: 1, corpId: 1, agentId: 1 })
    .lean()
  if (!original) {
    throw new WardenError('WARDEN_NOT_FOUND', {
      message: `no archived record ${input.original.toHexString()} to ${input.relation}`,
    })
  }
  const dedupeKey = [
    input.channel,
    input.relation,
    input.original.toHexString(),
    input.eventKey,
  ].join(':')
  const plain = await castRecord(archive, {
    dedupeKey,
    msgId: `${original.msgId}:${input.relation}:${input.eventKey}`,
    hasWecomMsgId: false,
    channel: input.channel,
    kind: 'event',
    msgType: input.relation,
    event: input.relation,
    corpId: original.corpId,
    agentId: original.agentId,
    fromUser: input.fromUser,
    content: input.content,
    createTime: input.at,
    receivedAt: new Date(),
    rawXml: input.raw,
    rawXmlEncoding: 'utf8',
    fields: {},
    chatId: original.chatId ?? null,
    sender: input.sender ?? null,
    relatesTo: input.original,
    relation: input.relation,
    day: dayOf(input.at, archive.timeZone),
    grams: textGrams(input.content),
    processing: {
      state: input.content ? 'pending' : 'evaluated',
      policyVersion: null,
      evaluatedAt: null,
    },
  })
  await archive.days.note(plain.day)
  const appended = await archive.chain.append(plain, { field: 'dedupeKey', value: dedupeKey })
  return {
    id: appended.id as unknown as Types.ObjectId,
    duplicate: appended.duplicate,
    seq: appended.seq,
  }
}
