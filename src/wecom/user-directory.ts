import { isWardenError } from '../errors/warden-error.js'
import type { WecomLogger, WecomReply } from './types.js'

/** Who sent a message, as WeCom described them when it was archived. */
export interface SenderSnapshot {
  userId: string | null
  name: string | null
  departments: number[]
  mainDepartment: number | null
  position: string | null
  /** 'cache': an earlier user/get answer; 'unavailable': WeCom failed, refused or was slow. */
  source: 'user/get' | 'cache' | 'unavailable' | 'none'
  /** WeCom's errcode when it refused (60111 unknown, 60011 outside the visible scope). */
  errcode: number | null
  /** When WeCom answered with these fields; null when it did not. */
  fetchedAt: Date | null
}

export interface UserDirectoryOptions {
  wecom: { getUser(userId: string): Promise<WecomReply> }
  /** How long an answer is reused, default 1 h. */
  ttlMs?: number
  /** How long a refusal or failure is remembered, default 60 s. */
  negativeTtlMs?: number
  /** The longest a snapshot may take, default 1500 ms: the callback ack waits for it. */
  timeoutMs?: number
  /** Entries kept, oldest dropped first; default 10 000. */
  maxEntries?: number
  logger?: WecomLogger
  nowMs?: () => number
}

export interface UserDirectory {
  /** Never throws; resolves within `timeoutMs` (plus a tick). */
  snapshot(userId: string | null): Promise<SenderSnapshot>
}

interface Entry {
  snapshot: SenderSnapshot
  expiresAtMs: number
}

const MAX_TEXT_CHARS = 256

export function createUserDirectory(options: UserDirectoryOptions): UserDirectory {
  const now = options.nowMs ?? Date.now
  const ttlMs = options.ttlMs ?? 3_600_000
  const negativeTtlMs = options.negativeTtlMs ?? 60_000
  const timeoutMs = options.timeoutMs ?? 1500
  const maxEntries = options.maxEntries ?? 10_000
  const cache = new Map<string, Entry>()
  const inFlight = new Map<string, Promise<SenderSnapshot>>()

  function remember(userId: string, snapshot: SenderSnapshot): void {
    const lifetime = snapshot.source === 'user/get' ? ttlMs : negativeTtlMs
    cache.delete(userId)
    cache.set(userId, { snapshot, expiresAtMs: now() + lifetime })
    // Map keeps insertion order, so the first key is the oldest entry.
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string)
  }

  async function fetchOnce(userId: string): Promise<SenderSnapshot> {
    let snapshot: SenderSnapshot
    try {
      snapshot = toSnapshot(userId, await options.wecom.getUser(userId), new Date(now()))
    } catch (err) {
      const errcode = isWardenError(err) ? numberOrNull(err.details.errcode) : null
      const code = isWardenError(err) ? err.code : 'WARDEN_INTERNAL'
      options.logger?.warn({ userId, code, errcode }, 'sender lookup failed')
      snapshot = { ...emptySnapshot(userId, 'unavailable'), errcode }
    }
    remember(userId, snapshot)
    return snapshot
  }

  function lookUp(userId: string): Promise<SenderSnapshot> {
    const hit = cache.get(userId)
    if (hit && hit.expiresAtMs > now()) {
      const { snapshot } = hit
      return Promise.resolve(
        snapshot.source === 'user/get' ? { ...snapshot, source: 'cache' } : snapshot,
      )
    }

    const pending = inFlight.get(userId)
    if (pending) return pending
    const started = fetchOnce(userId).finally(() => inFlight.delete(userId))
    inFlight.set(userId, started)
    return started
  }

  return {
    async snapshot(userId) {
      if (userId === null || userId === '') return emptySnapshot(null, 'none')

      // A slow answer still fills the cache when it arrives; this caller just stops waiting.
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<SenderSnapshot>((resolve) => {
        timer = setTimeout(() => resolve(emptySnapshot(userId, 'unavailable')), timeoutMs)
      })
      try {
        return await Promise.race([lookUp(userId), late])
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

function emptySnapshot(userId: string | null, source: SenderSnapshot['source']): SenderSnapshot {
  return {
    userId,
    name: null,
    departments: [],
    mainDepartment: null,
    position: null,
    source,
    errcode: null,
    fetchedAt: null,
  }
}

/** Reads only what is there: newer apps get no contact details, older replies vary in type. */
function toSnapshot(userId: string, reply: WecomReply, fetchedAt: Date): SenderSnapshot {
  const departments = Array.isArray(reply.department)
    ? reply.department.map(numberOrNull).filter((id): id is number => id !== null)
    : []
  return {
    userId: cleanText(reply.userid) ?? userId,
    name: cleanText(reply.name),
    departments,
    mainDepartment: numberOrNull(reply.main_department),
    position: cleanText(reply.position),
    source: 'user/get',
    errcode: null,
    fetchedAt,
  }
}

function numberOrNull(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : null
}

/** Text the archive can store (no U+0000, no lone surrogates), bounded; '' becomes null. */
function cleanText(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const text = value.toWellFormed().replaceAll('\0', '').trim().slice(0, MAX_TEXT_CHARS)
  return text === '' ? null : text
}
