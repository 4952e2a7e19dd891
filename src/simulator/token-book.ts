import { randomBytes } from 'node:crypto'

export interface SimulatedApp {
  corpId: string
  agentId: string
  secret: string
}

interface TokenRecord {
  app: SimulatedApp
  expiresAtMs: number
}

export type TokenLookup = { app: SimulatedApp } | { errcode: number; errmsg: string }

/**
 * Access tokens as WeCom hands them out: within its lifetime a second gettoken returns the
 * same token (doc 91039); an expired one answers 42001 and an unknown one 40014.
 */
export class TokenBook {
  readonly #ttlSeconds: number
  readonly #now: () => number
  readonly #tokens = new Map<string, TokenRecord>()
  readonly #current = new Map<SimulatedApp, string>()

  constructor(ttlSeconds: number, now: () => number) {
    this.#ttlSeconds = ttlSeconds
    this.#now = now
  }

  issue(app: SimulatedApp): { accessToken: string; expiresInSeconds: number } {
    const currentToken = this.#current.get(app)
    const current = currentToken === undefined ? undefined : this.#tokens.get(currentToken)
    if (currentToken !== undefined && current && current.expiresAtMs > this.#now()) {
      const remainingMs = current.expiresAtMs - this.#now()
      return { accessToken: currentToken, expiresInSeconds: Math.ceil(remainingMs / 1000) }
    }

    const accessToken = randomBytes(96).toString('base64url')
    this.#tokens.set(accessToken, { app, expiresAtMs: this.#now() + this.#ttlSeconds * 1000 })
    this.#current.set(app, accessToken)
    return { accessToken, expiresInSeconds: this.#ttlSeconds }
  }

  look(accessToken: string | undefined): TokenLookup {
    if (accessToken === undefined || accessToken === '') {
      return { errcode: 41001, errmsg: 'access_token missing' }
    }
    const record = this.#tokens.get(accessToken)
    if (!record) return { errcode: 40014, errmsg: 'invalid access_token' }
    if (record.expiresAtMs <= this.#now()) {
      return { errcode: 42001, errmsg: 'access_token expired' }
    }
    return { app: record.app }
  }

  expireAll(): void {
    const nowMs = this.#now()
    for (const record of this.#tokens.values()) {
      record.expiresAtMs = Math.min(record.expiresAtMs, nowMs)
    }
  }

  revokeAll(): void {
    this.#tokens.clear()
    this.#current.clear()
  }

  revokeApp(app: SimulatedApp): void {
    for (const [token, record] of this.#tokens) {
      if (record.app === app) this.#tokens.delete(token)
    }
    this.#current.delete(app)
  }
}
