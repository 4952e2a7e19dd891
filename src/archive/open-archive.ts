import type { Connection } from 'mongoose'
import { AuditLog } from '../audit/audit-log.js'
import { LegalHolds } from '../retention/legal-holds.js'
import type { MessageArchive } from './archive-message.js'
import { ChainAppender } from './chain/chain-appender.js'
import {
  AUDIT_CHAIN,
  chainCollections,
  ensureChainIndexes,
  MESSAGE_CHAIN,
} from './chain/chain-spec.js'
import { messageModel } from './message-model.js'

export interface ArchiveHandles {
  archive: MessageArchive
  audit: AuditLog
  auditChain: ChainAppender
  holds: LegalHolds
}

/** The message archive and the audit log on one connection, with the indexes they rely on. */
export async function openArchive(
  connection: Connection,
  timeZone: string,
): Promise<ArchiveHandles> {
  await ensureChainIndexes(connection)
  const messages = chainCollections(connection, MESSAGE_CHAIN)
  const audit = chainCollections(connection, AUDIT_CHAIN)
  const auditChain = new ChainAppender(AUDIT_CHAIN, audit.records, audit.tips)
  const auditLog = new AuditLog(auditChain)
  const holds = new LegalHolds(connection, auditLog)
  await holds.ensureIndexes()
  return {
    archive: {
      messages: messageModel(connection),
      chain: new ChainAppender(MESSAGE_CHAIN, messages.records, messages.tips),
      timeZone,
    },
    audit: auditLog,
    auditChain,
    holds,
  }
}
