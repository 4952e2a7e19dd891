import type { Connection } from 'mongoose'
import { AuditLog } from '../audit/audit-log.js'
import { LegalHolds } from '../retention/legal-holds.js'
import { ArchiveDays } from './archive-days.js'
import type { MessageArchive } from './archive-message.js'
import { ChainAppender } from './chain/chain-appender.js'
import {
  AUDIT_CHAIN,
  chainCollections,
  ensureChainIndexes,
  MESSAGE_CHAIN,
} from './chain/chain-spec.js'
import { messageModel } from './message-model.js'
import { backfillViolationDays } from './violation-days.js'

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
  options: { readOnly?: boolean } = {},
): Promise<ArchiveHandles> {
  if (!options.readOnly) {
    await ensureChainIndexes(connection)
    await ensureGramsIndex(connection)
    if (connection.db) await backfillViolationDays(connection.db)
  }
  const messages = chainCollections(connection, MESSAGE_CHAIN)
  const audit = chainCollections(connection, AUDIT_CHAIN)
  const auditChain = new ChainAppender(AUDIT_CHAIN, audit.records, audit.tips)
  const auditLog = new AuditLog(auditChain)
  const holds = new LegalHolds(connection, auditLog)
  if (!options.readOnly) await holds.ensureIndexes()
  return {
    archive: {
      messages: messageModel(connection),
      chain: new ChainAppender(MESSAGE_CHAIN, messages.records, messages.tips),
      timeZone,
      days: new ArchiveDays(connection, timeZone),
    },
    audit: auditLog,
    auditChain,
    holds,
  }
}

/**
 * The multikey index that serves text search on MongoDB. FerretDB 1.x stores an array's index
 * entry as one PostgreSQL btree row, which refuses more than 2,704 bytes: a few hundred grams,
 * i.e. any long Chinese message would be refused. FerretDB never reads through an index anyway
 * (uniqueness is all its indexes give), so there the index is left out.
 */
async function ensureGramsIndex(connection: Connection): Promise<void> {
  const db = connection.db
  if (!db) return
  const info = await db.admin().command({ buildInfo: 1 })
  if (typeof info.ferretdbVersion === 'string') return
  await db.collection('messages').createIndex({ grams: 1, day: -1 }, { name: 'grams_1_day_-1' })
}
