import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { WardenError } from '../errors/warden-error.js'
import { MediaShelf, type SimulatedMediaOptions, type StoredMedia } from './media-shelf.js'
import { MemberDirectory, type SimulatedMember } from './member-directory.js'
import { type ApiReply, type DeliveredMessage, MessageDesk } from './message-desk.js'
import { type SimulatedApp, TokenBook } from './token-book.js'

export type { SimulatedMediaOptions } from './media-shelf.js'
export type { SimulatedMember } from './member-directory.js'
export type { DeliveredMessage } from './message-desk.js'
export type SimulatorApp = SimulatedApp

export interface SimulatorOptions {
  apps: SimulatorApp[]
  /** Members who can receive messages; user/get also knows them (name = id, department 1). */
  users: string[]
  /** More user/get members, beside the seeded ones (张三 zhangsan, 李四 lisi, …). */
  members?: SimulatedMember[]
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
  /**
   * Queues a one-shot reply for the next call to `path`, e.g. { errcode: 60020 }, sent as JSON
   * or with the given Content-Type.
   */
  failNext(path: string, response: Record<string, unknown>, contentType?: string): void
  /** Every later call to `path` waits this long before answering; 0 stops it. */
  delay(path: string, ms: number): void
  /** Adds (or replaces) a member user/get answers for. */
  addUser(member: SimulatedMember): void
  /** Stores bytes as WeCom would for a received image/voice/video/file; returns the media_id. */
  addMedia(bytes: Buffer, options: SimulatedMediaOptions): string
  /** The old secret stops working and the app's tokens are revoked. */
  rotateSecret(corpId: string, agentId: string, newSecret: string): void
  close(): Promise<void>
}

const GETTOKEN_PATH = '/cgi-bin/gettoken'
const SEND_PATH = '/cgi-bin/message/send'
const USER_GET_PATH = '/cgi-bin/user/get'
const MEDIA_GET_PATH = '/cgi-bin/media/get'

interface InjectedReply {
  body: Record<string, unknown>
  contentType: string | undefined
}

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
  const members = new MemberDirectory(options.users)
  for (const member of options.members ?? []) members.add(member)
  const shelf = new MediaShelf(now)
  const callLog: SimulatedCall[] = []
  const injected = new Map<string, InjectedReply[]>()
  const delays = new Map<string, number>()
  const closing = new AbortController()

  function answer(
    path: string,
    request: FastifyRequest,
    reply: FastifyReply,
    produce: () => ApiReply,
  ): unknown {
    const queued = injected.get(path)?.shift()
    const body = queued?.body ?? produce()
    const errcode = typeof body.errcode === 'number' ? body.errcode : 0
    const atMs = now()
    callLog.push({ path, atMs, errcode })
    if (queued?.contentType) reply.header('content-type', queued.contentType)
    if (errcode === 0) return queued?.contentType ? JSON.stringify(body) : body
    const decorated = { ...body, errmsg: decorateErrmsg(body.errmsg, errcode, request.ip, atMs) }
    return queued?.contentType ? JSON.stringify(decorated) : decorated
  }

  /** A slow WeCom, for timeout tests; closing the simulator cuts the wait short. */
  async function pause(path: string): Promise<void> {
    const ms = delays.get(path) ?? 0
    if (ms > 0) await sleep(ms, undefined, { signal: closing.signal }).catch(() => {})
  }

  const server = Fastify({ logger: false })
  // WeCom reads any body as text and reports bad JSON as errcode 47001, never as HTTP 400.
  server.removeAllContentTypeParsers()
  server.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, body)
  })

  server.get(GETTOKEN_PATH, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>
    return answer(GETTOKEN_PATH, request, reply, () => issueToken(apps, tokens, query))
  })

  server.post(SEND_PATH, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>
    return answer(SEND_PATH, request, reply, () => {
      const found = tokens.look(query.access_token)
      if ('errcode' in found) return found
      return desk.send(found.app, typeof request.body === 'string' ? request.body : '')
    })
  })

  server.get(USER_GET_PATH, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>
    await pause(USER_GET_PATH)
    return answer(USER_GET_PATH, request, reply, () => {
      const found = tokens.look(query.access_token)
      return 'errcode' in found ? found : members.get(query.userid)
    })
  })

  // One URL, two kinds of answer: file bytes on success, a JSON errcode otherwise.
  server.get(MEDIA_GET_PATH, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>
    await pause(MEDIA_GET_PATH)
    const served: { media?: StoredMedia } = {}
    const body = answer(MEDIA_GET_PATH, request, reply, () => {
      const found = tokens.look(query.access_token)
      if ('errcode' in found) return found
      const lookup = shelf.get(query.media_id)
      if ('errcode' in lookup) return lookup
      served.media = lookup.media
      return { errcode: 0, errmsg: 'ok' }
    })
    const file = served.media
    if (!file) return body

    reply.header('content-type', file.contentType)
    if (file.filename !== null) {
      const ascii = file.filename.replace(/[^\x20-\x7e]/g, '_').replaceAll('"', '_')
      const encoded = encodeURIComponent(file.filename)
      reply.header(
        'content-disposition',
        `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`,
      )
    }
    return reply.send(file.bytes)
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
    failNext(path, response, contentType) {
      const queue = injected.get(toApiPath(path)) ?? []
      queue.push({ body: response, contentType })
      injected.set(toApiPath(path), queue)
    },
    delay: (path, ms) => delays.set(toApiPath(path), ms),
    addUser: (member) => members.add(member),
    addMedia: (bytes, mediaOptions) => shelf.add(bytes, mediaOptions),
    rotateSecret(corpId, agentId, newSecret) {
      const app = apps.find((a) => a.corpId === corpId && a.agentId === agentId)
      if (!app) throw new WardenError('WARDEN_NOT_FOUND', { details: { corpId, agentId } })
      app.secret = newSecret
      tokens.revokeApp(app)
    },
    close() {
      closing.abort()
      return server.close()
    },
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
