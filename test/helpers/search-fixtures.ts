import type { Types } from 'mongoose'
import { archiveMessage } from '../../src/archive/archive-message.js'
import { chainCollections, MESSAGE_CHAIN } from '../../src/archive/chain/chain-spec.js'
import type { SenderSnapshot } from '../../src/archive/message-model.js'
import type { ArchiveHandles } from '../../src/archive/open-archive.js'
import { violationModel } from '../../src/archive/violation-model.js'
import { readInbound } from '../../src/parse/read-inbound.js'
import type { ArchiveFixture } from './archive.js'
import { textXml } from './archive.js'

let nextMsgId = 7_300_000_000_000_000_000n

export interface ChatLine {
  user: string
  content: string
  at: Date
  chatId?: string | null
  name?: string
}

export function senderOf(user: string, name: string): SenderSnapshot {
  return {
    userId: user,
    name,
    departments: [2],
    mainDepartment: 2,
    position: null,
    source: 'user/get',
    errcode: 0,
    fetchedAt: new Date('2026-03-01T00:00:00Z'),
  }
}

/** Archives one text message as the callback route would, with a chat and a sender name. */
export async function archiveLine(fixture: ArchiveHandles, line: ChatLine) {
  nextMsgId++
  const xml = textXml(
    String(nextMsgId),
    line.user,
    line.content,
    Math.floor(line.at.getTime() / 1000),
  )
  return archiveMessage(fixture.archive, 'app-callback', readInbound(xml), xml, line.at, {
    chatId: line.chatId ?? null,
    sender: senderOf(line.user, line.name ?? `Name of ${line.user}`),
  })
}

/** Records a rule hit on an archived message, as the policy evaluation would. */
export async function addViolation(
  fixture: ArchiveFixture,
  messageId: Types.ObjectId,
  ruleId: string,
  fromUser: string,
) {
  const message = await chainCollections(fixture.connection, MESSAGE_CHAIN).records.findOne(
    { _id: messageId },
    { projection: { day: 1 } },
  )
  await violationModel(fixture.connection).create({
    day: message ? String(message.day) : null,
    key: `${messageId.toHexString()}:${ruleId}:1`,
    messageId,
    msgId: messageId.toHexString(),
    channel: 'app-callback',
    fromUser,
    ruleId,
    ruleVersion: 1,
    policyVersion: 'test',
    description: `rule ${ruleId}`,
    severity: 'high',
    verdict: 'violation',
    actions: [],
    escalateTo: [],
    matchedText: 'x',
    start: 0,
    end: 1,
    normalised: 'x',
    context: 'x',
    matches: [],
    createdAt: new Date(),
  })
}

/** Empties a record the way a disposal does: content gone, chain fields and tombstone kept. */
export async function disposeRecord(fixture: ArchiveFixture, id: Types.ObjectId) {
  const records = chainCollections(fixture.connection, MESSAGE_CHAIN).records
  await records.updateOne(
    { _id: id },
    {
      $set: {
        content: null,
        rawXml: '',
        grams: [],
        tombstone: { at: new Date(), retentionRule: 'test', auditSeq: 1 },
      },
    },
  )
}

/** The audit entries of one action, oldest first. */
export async function auditEntries(fixture: ArchiveFixture, action: string) {
  const rows = await fixture.connection.db?.collection('audit_log').find({ action }).toArray()
  return (rows ?? []).sort((a, b) => Number(a.seq) - Number(b.seq))
}
