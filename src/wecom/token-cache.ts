import { createHash } from 'node:crypto'
import type { WecomAppCredentials } from './types.js'

export interface IssuedToken {
  accessToken: string
  expiresInSeconds: number
}

interface CachedToken {
  accessToken: string
  refreshAtMs: number
}

/** Refresh this long before WeCom's expiry so a token never dies mid-call. */
const EARLY_REFRESH_SECONDS = 300

// Module-level on purpose: every client of one app in this process shares one token, since
// WeCom intercepts apps that call gettoken too often.
const cached = new Map<string, CachedToken>()
const inFlight = new Map<string, Promise<string>>()

/**
 * A rotated secret gives a new key and so a new token. The secret enters only as a SHA-256
 * digest; the key is still not meant for logs. The base URL keeps tokens of different
 * WeCom endpoints (the real cloud, a simulator) apart.
 */
export function computeTokenKey(baseUrl: string, credentials: WecomAppCredentials): string {
  const secretDigest = createHash('sha256').update(credentials.secret).digest('hex')
  return [baseUrl, credentials.corpId, credentials.agentId, secretDigest].join('\n')
}

/** Returns the cached token, or joins the one gettoken in flight for this key, or starts it. */
export function obtainToken(
  key: string,
  nowMs: () => number,
  fetchToken: () => Promise<IssuedToken>,
): Promise<string> {
  const hit = cached.get(key)
  if (hit && nowMs() < hit.refreshAtMs) return Promise.resolve(hit.accessToken)

  const pending = inFlight.get(key)
  if (pending) return pending

  const started: Promise<string> = fetchAndStore(key, nowMs, fetchToken).finally(() => {
    if (inFlight.get(key) === started) inFlight.delete(key)
  })
  inFlight.set(key, started)
  return started
}

/** Drops the token only if it is still the one that failed, so a fresher one survives. */
export function invalidateToken(key: string, failedToken: string): void {
  if (cached.get(key)?.accessToken === failedToken) cached.delete(key)
}

/** For tests: forget every token and in-flight fetch in this process. */
export function clearTokenCache(): void {
  cached.clear()
  inFlight.clear()
}

async function fetchAndStore(
  key: string,
  nowMs: () => number,
  fetchToken: () => Promise<IssuedToken>,
): Promise<string> {
  const issued = await fetchToken()
  const margin = Math.min(EARLY_REFRESH_SECONDS, issued.expiresInSeconds / 2)
  const refreshAtMs = nowMs() + (issued.expiresInSeconds - margin) * 1000
  cached.set(key, { accessToken: issued.accessToken, refreshAtMs })
  return issued.accessToken
}
