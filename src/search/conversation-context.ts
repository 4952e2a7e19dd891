import type { Collection, Document, Filter } from 'mongodb'
import type { ArchivedMessage } from '../archive/message-model.js'
import type { ScanStats } from './query-plan.js'
import { nextDay, previousDay } from './time-range.js'

export interface ContextMessage {
  id: string
  seq: number
  time: string
  fromUser: string | null
  senderName: string | null
  msgType: string | null
  content: string | null
}

/**
 * Messages around hits in their conversation: the same chat, or for a one-to-one message to
 * the app the same sender. Looked up per conversation-day by equality (and the neighbouring
 * day when the hit is near a day's edge); each conversation-day is fetched once per search.
 */
export class ConversationContext {
  readonly #messages: Collection
  readonly #stats: ScanStats
  /** Conversation-days being or already read, shared by hits that need the same one. */
  readonly #days = new Map<string, Promise<ArchivedMessage[]>>()

  constructor(messages: Collection, stats: ScanStats) {
    this.#messages = messages
    this.#stats = stats
  }

  async around(hit: ArchivedMessage, count: number) {
    if (count <= 0) return { before: [], after: [] }
    const today = (await this.#day(hit, hit.day)).filter(
      (doc) => doc.seq === hit.seq || doc.kind === 'message',
    )
    const index = today.findIndex((doc) => doc.seq === hit.seq)
    let before = today.slice(Math.max(0, index - count), Math.max(0, index))
    let after = today.slice(index + 1, index + 1 + count)
    // The neighbouring days, when needed, are read together.
    const [earlier, later] = await Promise.all([
      before.length < count ? this.#day(hit, previousDay(hit.day)) : [],
      after.length < count ? this.#day(hit, nextDay(hit.day)) : [],
    ])
    if (before.length < count) {
      before = [...earlier.filter(isMessage).slice(-(count - before.length)), ...before]
    }
    if (after.length < count) {
      after = [...after, ...later.filter(isMessage).slice(0, count - after.length)]
    }
    return { before: before.map(describeContext), after: after.map(describeContext) }
  }

  #day(hit: ArchivedMessage, day: string): Promise<ArchivedMessage[]> {
    const conversation: Filter<Document> =
      hit.chatId === null ? { chatId: null, fromUser: hit.fromUser } : { chatId: hit.chatId }
    const key = JSON.stringify([conversation, day])
    const cached = this.#days.get(key)
    if (cached) return cached
    const reading = this.#read(conversation, day)
    this.#days.set(key, reading)
    return reading
  }

  async #read(conversation: Filter<Document>, day: string): Promise<ArchivedMessage[]> {
    this.#stats.queries++
    const rows = (await this.#messages
      .find({ ...conversation, day })
      .toArray()) as unknown as ArchivedMessage[]
    this.#stats.fetched += rows.length
    // Disposed records are gone from the conversation; events are dropped by the caller.
    return rows.filter((doc) => !doc.tombstone).sort((a, b) => a.seq - b.seq)
  }
}

function isMessage(doc: ArchivedMessage): boolean {
  return doc.kind === 'message'
}

export function describeContext(doc: ArchivedMessage): ContextMessage {
  return {
    id: doc._id.toHexString(),
    seq: doc.seq,
    time: (doc.createTime ?? doc.receivedAt).toISOString(),
    fromUser: doc.fromUser,
    senderName: doc.sender?.name ?? null,
    msgType: doc.msgType,
    content: doc.content,
  }
}
