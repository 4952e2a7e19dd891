import { randomBytes } from 'node:crypto'
import type { SimulatedApp } from './token-book.js'

export interface DeliveredMessage {
  toUser: string
  agentId: string
  content: string
  atMs: number
  msgId: string
}

export interface MessageDeskOptions {
  users: string[]
  unlicensedUsers: string[]
  perUserPerMinute: number
  now: () => number
}

export type ApiReply = { errcode: number; errmsg: string } & Record<string, unknown>

const TEXT_LIMIT_BYTES = 2048
const DEFAULT_DUPLICATE_CHECK_SECONDS = 1800
const MAX_DUPLICATE_CHECK_SECONDS = 4 * 3600
const MINUTE_MS = 60_000

/** The message/send half of WeCom: validates, deduplicates, rate-limits and delivers text. */
export class MessageDesk {
  readonly #users: Map<string, string>
  readonly #unlicensed: Set<string>
  readonly #perUserPerMinute: number
  readonly #now: () => number
  /** Kept with the app itself: two corps may well both have an AgentID 1000002. */
  readonly #delivered: { app: SimulatedApp; message: DeliveredMessage }[] = []

  constructor(options: MessageDeskOptions) {
    this.#users = new Map(options.users.map((user) => [user.toLowerCase(), user]))
    this.#unlicensed = new Set(options.unlicensedUsers.map((user) => user.toLowerCase()))
    this.#perUserPerMinute = options.perUserPerMinute
    this.#now = options.now
  }

  delivered(user?: string): DeliveredMessage[] {
    const wanted = user?.toLowerCase()
    return this.#delivered
      .map((entry) => entry.message)
      .filter((m) => wanted === undefined || m.toUser.toLowerCase() === wanted)
  }

  send(app: SimulatedApp, rawBody: string): ApiReply {
    const body = parseObject(rawBody)
    if (!body) return { errcode: 47001, errmsg: 'data format error' }
    if (body.agentid === undefined || body.agentid === '') {
      return { errcode: 41011, errmsg: 'missing agentid' }
    }
    if (String(body.agentid) !== app.agentId) return { errcode: 40056, errmsg: 'invalid agentid' }
    if (body.msgtype !== 'text') return { errcode: 40008, errmsg: 'invalid message type' }
    const content = (body.text as { content?: unknown } | undefined)?.content
    if (typeof content !== 'string' || content === '') {
      return { errcode: 44004, errmsg: 'empty content' }
    }

    const { known, invalid } = this.#resolveRecipients(body.touser)
    const invaliduser = invalid.join('|')
    if (known.length === 0) {
      return { errcode: 81013, errmsg: 'user & party & tag all invalid', invaliduser }
    }
    const unlicensed = known.filter((user) => this.#unlicensed.has(user.toLowerCase()))
    const licensed = known.filter((user) => !unlicensed.includes(user))
    const text = truncateUtf8(content, TEXT_LIMIT_BYTES)
    const fresh = licensed.filter((user) => !this.#isDuplicate(app, user, text, body))

    // WeCom drops the excess silently; the documented 45009 makes it visible to tests.
    if (fresh.some((user) => this.#countLastMinute(app, user) >= this.#perUserPerMinute)) {
      return { errcode: 45009, errmsg: 'api freq out of limit' }
    }

    const msgId = randomBytes(24).toString('base64url')
    const atMs = this.#now()
    for (const toUser of fresh) {
      const message = { toUser, agentId: app.agentId, content: text, atMs, msgId }
      this.#delivered.push({ app, message })
    }
    return {
      errcode: 0,
      errmsg: 'ok',
      invaliduser,
      invalidparty: '',
      invalidtag: '',
      unlicenseduser: unlicensed.map((user) => user.toLowerCase()).join('|'),
      msgid: msgId,
    }
  }

  #resolveRecipients(touser: unknown): { known: string[]; invalid: string[] } {
    const asked = typeof touser === 'string' ? touser.split('|').filter((u) => u !== '') : []
    if (asked.includes('@all')) return { known: [...this.#users.values()], invalid: [] }

    const known = new Set<string>()
    const invalid = new Set<string>()
    for (const user of asked) {
      const canonical = this.#users.get(user.toLowerCase())
      if (canonical) known.add(canonical)
      else invalid.add(user.toLowerCase())
    }
    return { known: [...known], invalid: [...invalid] }
  }

  #isDuplicate(app: SimulatedApp, user: string, text: string, body: Record<string, unknown>) {
    if (Number(body.enable_duplicate_check) !== 1) return false

    const asked = Number(body.duplicate_check_interval ?? DEFAULT_DUPLICATE_CHECK_SECONDS)
    const seconds =
      asked > 0 ? Math.min(asked, MAX_DUPLICATE_CHECK_SECONDS) : DEFAULT_DUPLICATE_CHECK_SECONDS
    return this.#sentSince(app, user, seconds * 1000).some((m) => m.content === text)
  }

  #countLastMinute(app: SimulatedApp, user: string): number {
    return this.#sentSince(app, user, MINUTE_MS).length
  }

  #sentSince(app: SimulatedApp, user: string, windowMs: number): DeliveredMessage[] {
    const since = this.#now() - windowMs
    return this.#delivered
      .filter((entry) => entry.app === app && entry.message.toUser === user)
      .map((entry) => entry.message)
      .filter((m) => m.atMs > since)
  }
}

/** The simulator's own cut, written apart from the client's so a shared bug cannot hide. */
function truncateUtf8(text: string, maxBytes: number): string {
  let used = 0
  let kept = ''
  for (const codePoint of text) {
    used += Buffer.byteLength(codePoint, 'utf8')
    if (used > maxBytes) break
    kept += codePoint
  }
  return kept
}

function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
