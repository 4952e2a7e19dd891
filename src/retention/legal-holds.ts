import { randomBytes } from 'node:crypto'
import type { Collection, Connection } from 'mongoose'
import type { AuditLog } from '../audit/audit-log.js'
import { WardenError } from '../errors/warden-error.js'

export const HOLDS_COLLECTION = 'legal_holds'

/** What a hold covers: every criterion given must hold; `all` covers the whole archive. */
export interface HoldCriteria {
  users: string[]
  chats: string[]
  from: Date | null
  to: Date | null
  all: boolean
}

export interface LegalHold {
  holdId: string
  caseId: string
  reason: string
  criteria: HoldCriteria
  createdAt: Date
  createdBy: string
  releasedAt: Date | null
  releasedBy: string | null
  releaseReason: string | null
}

/** The parts of a record a hold looks at. */
export interface HeldSubject {
  fromUser: string | null
  chatId: string | null
  at: Date
}

interface HoldEvent {
  holdId: string
  event: 'add' | 'remove'
  at: Date
  actor: string
  caseId?: string
  reason: string
  criteria?: HoldCriteria
}

/**
 * Legal holds as an append-only list of events (add, remove): nothing is updated in place, so
 * no two replicas can lose each other's change, and the history of every hold is kept.
 */
export class LegalHolds {
  readonly #events: Collection
  readonly #audit: AuditLog

  constructor(connection: Connection, audit: AuditLog) {
    const db = connection.db
    if (!db) throw new Error('legal holds need a connected database')
    this.#events = db.collection(HOLDS_COLLECTION) as unknown as Collection
    this.#audit = audit
  }

  async ensureIndexes(): Promise<void> {
    await this.#events.createIndex({ holdId: 1, event: 1 }, { unique: true, name: 'hold_event' })
  }

  async add(input: {
    caseId: string
    reason: string
    criteria: HoldCriteria
    actor: string
    now?: Date
  }): Promise<LegalHold> {
    const { criteria } = input
    checkCriteria(criteria)
    const at = input.now ?? new Date()
    const holdId = `hold-${randomBytes(5).toString('hex')}`
    const event: HoldEvent = {
      holdId,
      event: 'add',
      at,
      actor: input.actor,
      caseId: input.caseId,
      reason: input.reason,
      criteria,
    }
    await this.#events.insertOne({ ...event })
    await this.#audit.record({
      actor: input.actor,
      action: 'hold.add',
      params: { holdId, caseId: input.caseId, reason: input.reason, criteria },
      outcome: { holdId },
    })
    return fold([event])[0] as LegalHold
  }

  async remove(input: {
    holdId: string
    reason: string
    actor: string
    now?: Date
  }): Promise<LegalHold> {
    const current = (await this.list(true)).find((hold) => hold.holdId === input.holdId)
    if (!current) {
      throw new WardenError('WARDEN_NOT_FOUND', { message: `no legal hold '${input.holdId}'` })
    }
    if (current.releasedAt) {
      throw new WardenError('WARDEN_REQUEST_INVALID', {
        message: `legal hold '${input.holdId}' was already released`,
      })
    }
    const event: HoldEvent = {
      holdId: input.holdId,
      event: 'remove',
      at: input.now ?? new Date(),
      actor: input.actor,
      reason: input.reason,
    }
    try {
      await this.#events.insertOne({ ...event })
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err
      throw new WardenError('WARDEN_REQUEST_INVALID', {
        message: `legal hold '${input.holdId}' was already released`,
      })
    }
    await this.#audit.record({
      actor: input.actor,
      action: 'hold.remove',
      params: { holdId: input.holdId, reason: input.reason },
      outcome: { caseId: current.caseId },
    })
    return {
      ...current,
      releasedAt: event.at,
      releasedBy: event.actor,
      releaseReason: event.reason,
    }
  }

  /** Holds in force (or all of them, released included), oldest first. */
  async list(includeReleased = false): Promise<LegalHold[]> {
    const events = (await this.#events
      .find({}, { projection: { _id: 0 } })
      .toArray()) as unknown as HoldEvent[]
    const holds = fold(events)
    return includeReleased ? holds : holds.filter((hold) => hold.releasedAt === null)
  }
}

/** The holds among `holds` that cover the record. */
export function holdsCovering(holds: LegalHold[], subject: HeldSubject): LegalHold[] {
  return holds.filter((hold) => covers(hold.criteria, subject))
}

/** Whether a hold covers a record. WeCom user ids are case-insensitive, so they match so. */
export function covers(criteria: HoldCriteria, subject: HeldSubject): boolean {
  if (criteria.all) return true
  if (criteria.users.length > 0) {
    const sender = subject.fromUser?.toLowerCase()
    if (!criteria.users.some((user) => user.toLowerCase() === sender)) return false
  }
  if (criteria.chats.length > 0 && !criteria.chats.includes(subject.chatId ?? '')) return false
  if (criteria.from && subject.at < criteria.from) return false
  if (criteria.to && subject.at > criteria.to) return false
  return true
}

/** Refuses criteria that would cover nothing, or not what the person placing them meant. */
function checkCriteria(criteria: HoldCriteria): void {
  const ids = [...criteria.users, ...criteria.chats]
  const narrowed = ids.length > 0 || Boolean(criteria.from) || Boolean(criteria.to)
  if (ids.some((id) => id.trim() === '')) {
    throw invalid('a hold cannot name an empty user or chat id')
  }
  if (criteria.all && narrowed) {
    throw invalid('a hold with all covers everything: it takes no users, chats, from or to')
  }
  if (!criteria.all && !narrowed) {
    throw invalid('a hold needs at least one of users, chats, from, to (or all)')
  }
  if (criteria.from && criteria.to && criteria.from > criteria.to) {
    throw invalid('a hold cannot end before it starts')
  }
}

function invalid(message: string): WardenError {
  return new WardenError('WARDEN_REQUEST_INVALID', { message })
}

function fold(events: HoldEvent[]): LegalHold[] {
  const holds = new Map<string, LegalHold>()
  for (const event of [...events].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    if (event.event === 'add' && event.criteria) {
      holds.set(event.holdId, {
        holdId: event.holdId,
        caseId: event.caseId ?? '',
        reason: event.reason,
        criteria: event.criteria,
        createdAt: event.at,
        createdBy: event.actor,
        releasedAt: null,
        releasedBy: null,
        releaseReason: null,
      })
    }
  }
  for (const event of events) {
    const hold = holds.get(event.holdId)
    if (event.event === 'remove' && hold) {
      hold.releasedAt = event.at
      hold.releasedBy = event.actor
      hold.releaseReason = event.reason
    }
  }
  return [...holds.values()]
}
