import Fastify, { type FastifyRequest } from 'fastify'
import { WardenError } from '../errors/warden-error.js'
import { type ApiReply, type DeliveredMessage, MessageDesk } from './message-desk.js'
import { type SimulatedApp, TokenBook } from './token-book.js'

export type { DeliveredMessage } from './message-desk.js'
export type SimulatorApp = SimulatedApp

export interface SimulatorOptions {
  apps: SimulatorApp[]
  users: string[]
  /** Members who exist but lack an interface licence: listed in `unlicenseduser`, not served. */
  unlicensedUsers?: string[]
  /** Default 7200, as WeCom. */
  tokenTtlSeconds?: number
  /** Default 30, WeCom's per-member limit for one app. */
  perUserPerMinute?: number
  nowMs?: () => number
  host?: string
  port?: number
}

export interface SimulatedCall {
  path: string
  atMs: number
  errcode: number
}

export interface WecomSimulator {
  /** http://127.0.0.1:PORT */
  url: string
  delivered(user?: string): DeliveredMessage[]
  /** Every /cgi-bin call and the errcode it got, oldest first. */
  calls(path?: string): SimulatedCall[]
  /** The next use of any token issued so far answers 42001. */
  expireAllTokens(): void
  /** The next use of any token issued so far answers 40014, as when WeCom drops one early. */
  revokeAllTokens(): void
  /** Queues a one-shot reply for the next call to `path`, e.g. { errcode: 60020 }. */
  failNext(path: string, response: Record<string, unknown>): void
  /** The old secret stops working and the app's tokens are revoked. */
  rotateSecret(corpId: string, agentId: string, newSecret: string): void
  close(): Promise<void>
}

const GETTOKEN_PATH = '/cgi-bin/gettoken'
const SEND_PATH = '/cgi-bin/message/send'

/** A local stand-in for qyapi.weixin.qq.com speaking WeCom's JSON, for tests and the demo. */
export async function startWecomSimulator(options: SimulatorOptions): Promise<WecomSimulator> {
  const now = options.nowMs ?? Date.now
  const apps = options.apps.map((app) => ({ ...app }))
  const tokens = new TokenBook(options.tokenTtlSeconds ?? 7200, now)
  const desk = new MessageDesk({
    users: options.users,
    unlicensedUsers: options.unlicensedUsers ?? [],
    perUserPerMinute: options.perUserPerMinute ?? 30,
    now,
  })
  const callLog: SimulatedCall[] = []
  const injected = new Map<string, Record<string, unknown>[]>()

  function answer(path: string, request: FastifyRequest, produce: () => ApiReply): unknown {
    const reply = injected.get(path)?.shift() ?? produce()
    const errcode = typeof reply.errcode === 'number' ? reply.errcode : 0
    const atMs = now()
    callLog.push({ path, atMs, errcode })
    if (errcode === 0) return reply
    return { ...reply, errmsg: decorateErrmsg(reply.errmsg, errcode, request.ip, atMs) }
  }

  const server = Fastify({ logger: false })
  // WeCom reads any body as text and reports bad JSON as errcode 47001, never as HTTP 400.
  server.removeAllContentTypeParsers()
  server.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, body)
  })

  server.get(GETTOKEN_PATH, async (request) => {
    const query = request.query as Record<string, string | undefined>
    return answer(GETTOKEN_PATH, request, () => issueToken(apps, tokens, query))
  })

  server.post(SEND_PATH, async (request) => {
    const query = request.query as Record<string, string | undefined>
    return answer(SEND_PATH, request, () => {
      const found = tokens.look(query.access_token)
      if ('errcode' in found) return found
      return desk.send(found.app, typeof request.body === 'string' ? request.body : '')
    })
  })

  server.get('/_sim/inbox', async (request) => {
    const { user } = request.query as { user?: string }
    return { user: user ?? null, messages: desk.delivered(user) }
  })

  const host = options.host ?? '127.0.0.1'
  await server.listen({ host, port: options.port ?? 0 })
  const address = server.server.address()
  const port = typeof address === 'object' && address ? address.port : options.port

  return {
    url: `http://${host}:${port}`,
    delivered: (user) => desk.delivered(user),
    calls: (path) => callLog.filter((call) => path === undefined || call.path === toApiPath(path)),
    expireAllTokens: () => tokens.expireAll(),
    revokeAllTokens: () => tokens.revokeAll(),
    failNext(path, response) {
      const queue = injected.get(toApiPath(path)) ?? []
      queue.push(response)
      injected.set(toApiPath(path), queue)
    },
    rotateSecret(corpId, agentId, newSecret) {
      const app = apps.find((a) => a.corpId === corpId && a.agentId === agentId)
      if (!app) throw new WardenError('WARDEN_NOT_FOUND', { details: { corpId, agentId } })
      app.secret = newSecret
      tokens.revokeApp(app)
    },
    close: () => server.close(),
  }
}

function issueToken(
  apps: SimulatedApp[],
  tokens: TokenBook,
  query: Record<string, string | undefined>,
): ApiReply {
  const { corpid: corpId, corpsecret: secret } = query
  if (!corpId) return { errcode: 41002, errmsg: 'corpid missing' }
  if (!secret) return { errcode: 41004, errmsg: 'corpsecret missing' }

  const corpApps = apps.filter((app) => app.corpId === corpId)
  if (corpApps.length === 0) return { errcode: 40013, errmsg: 'invalid corpid' }
  const app = corpApps.find((candidate) => candidate.secret === secret)
  if (!app) return { errcode: 40001, errmsg: 'invalid credential' }

  const issued = tokens.issue(app)
  return {
    errcode: 0,
    errmsg: 'ok',
    access_token: issued.accessToken,
    expires_in: issued.expiresInSeconds,
  }
}

/** WeCom appends a hint, the caller's IP and a lookup link to every error message. */
function decorateErrmsg(errmsg: unknown, errcode: number, ip: string, atMs: number): string {
  const text = typeof errmsg === 'string' ? errmsg : 'error'
  const link = `https://open.work.weixin.qq.com/devtool/query?e=${errcode}`
  return `${text}, hint: [${Math.floor(atMs / 1000)}_sim], from ip: ${ip}, more info at ${link}`
}

function toApiPath(path: string): string {
  const trimmed = path.replace(/^\/+/, '')
  return trimmed.startsWith('cgi-bin/') ? `/${trimmed}` : `/cgi-bin/${trimmed}`
}
