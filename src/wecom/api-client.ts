import { setTimeout as sleep } from 'node:timers/promises'
import { WardenError } from '../errors/warden-error.js'
import {
  redactSecrets,
  SYSTEM_BUSY_ERRCODE,
  TOKEN_REJECTED_ERRCODES,
  toFetchError,
  toHttpError,
  toWecomError,
} from './errcodes.js'
import { isTextType, readCapped, readFilename, tryParseReply } from './media-response.js'
import { computeTokenKey, type IssuedToken, invalidateToken, obtainToken } from './token-cache.js'
import type {
  MediaFile,
  SendResult,
  SendTextRequest,
  WecomClientOptions,
  WecomLogger,
  WecomReply,
} from './types.js'

const GETTOKEN_PATH = '/cgi-bin/gettoken'
const SEND_PATH = '/cgi-bin/message/send'
const USER_GET_PATH = '/cgi-bin/user/get'
const MEDIA_GET_PATH = '/cgi-bin/media/get'
const TEXT_LIMIT_BYTES = 2048
const MAX_RECIPIENTS = 1000
const MAX_DUPLICATE_CHECK_SECONDS = 4 * 3600
const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_RETRY_DELAYS_MS = [200, 1000]
const DEFAULT_MEDIA_TIMEOUT_MS = 60_000
const DEFAULT_MAX_MEDIA_BYTES = 32 * 1024 * 1024
/** WeCom's own advice for errcode -1: at most three tries. */
const MAX_TRIES = 3

/** A call's outcome before its errcode is checked: WeCom JSON, or data of another kind. */
type Answer<T> = { reply: WecomReply } | { data: T }

/** Calls WeCom's server API for one self-built app; errors come out as WardenErrors. */
export class WecomClient {
  readonly #options: WecomClientOptions
  readonly #baseUrl: string
  readonly #tokenKey: string
  readonly #fetch: typeof fetch
  readonly #now: () => number
  readonly #log: WecomLogger | undefined

  constructor(options: WecomClientOptions) {
    assertOptions(options)
    this.#options = options
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.#tokenKey = computeTokenKey(this.#baseUrl, options.credentials)
    this.#fetch = options.fetchImpl ?? fetch
    this.#now = options.nowMs ?? Date.now
    this.#log = options.logger
  }

  getAccessToken(): Promise<string> {
    return obtainToken(this.#tokenKey, this.#now, () => this.#fetchToken())
  }

  async sendText(request: SendTextRequest): Promise<SendResult> {
    const body = buildTextBody(request, this.#options.credentials.agentId)
    const reply = await this.#retryWhileBusy(() => this.#jsonWithToken(SEND_PATH, {}, body))
    return {
      msgId: typeof reply.msgid === 'string' && reply.msgid !== '' ? reply.msgid : null,
      invalidUsers: splitUserIds(reply.invaliduser),
      unlicensedUsers: splitUserIds(reply.unlicenseduser),
    }
  }

  /** The raw user/get reply (errcode 0); which fields it carries depends on the app's age. */
  async getUser(userId: string): Promise<WecomReply> {
    if (userId === '') throw invalidRequest('getUser needs a user id')
    return this.#retryWhileBusy(() => this.#jsonWithToken(USER_GET_PATH, { userid: userId }))
  }

  /** The bytes of a media id (valid 3 days after upload); WeCom's JSON errors are thrown. */
  async getMedia(mediaId: string): Promise<MediaFile> {
    if (mediaId === '') throw invalidRequest('getMedia needs a media id')
    const query = { media_id: mediaId }
    const answer = await this.#retryWhileBusy(() =>
      this.#callWithToken(MEDIA_GET_PATH, (token) => this.#requestMedia(query, token)),
    )
    // errcode 0 without bytes is not a file: never hand JSON on as media.
    if ('reply' in answer) throw toHttpError('bad-body', MEDIA_GET_PATH)
    return answer.data
  }

  async #fetchToken(): Promise<IssuedToken> {
    const { corpId, agentId, secret } = this.#options.credentials
    const query = { corpid: corpId, corpsecret: secret }
    const reply = this.#check(GETTOKEN_PATH, await this.#request(GETTOKEN_PATH, query), [secret])
    const { access_token: accessToken, expires_in: expiresIn } = reply
    if (typeof accessToken !== 'string' || accessToken === '' || typeof expiresIn !== 'number') {
      throw toHttpError('bad-body', GETTOKEN_PATH)
    }

    this.#log?.info({ corpId, agentId, expiresInSeconds: expiresIn }, 'wecom token fetched')
    return { accessToken, expiresInSeconds: expiresIn }
  }

  async #jsonWithToken(
    path: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<WecomReply> {
    const answer = await this.#callWithToken<never>(path, async (token) => ({
      reply: await this.#request(path, { ...query, access_token: token }, body),
    }))
    return 'reply' in answer ? answer.reply : answer.data
  }

  /** A token WeCom rejects early (P18) is refetched once and the call retried once. */
  async #callWithToken<T>(
    path: string,
    call: (token: string) => Promise<Answer<T>>,
  ): Promise<Answer<T>> {
    const token = await this.getAccessToken()
    const answer = await call(token)
    if (!('reply' in answer)) return answer
    const errcode = answer.reply.errcode as number
    if (!TOKEN_REJECTED_ERRCODES.has(errcode)) {
      return { reply: this.#check(path, answer.reply, [token]) }
    }

    this.#log?.warn({ path, errcode }, 'wecom token rejected')
    invalidateToken(this.#tokenKey, token)
    const fresh = await this.getAccessToken()
    const retried = await call(fresh)
    if (!('reply' in retried)) return retried
    return { reply: this.#check(path, retried.reply, [token, fresh]) }
  }

  async #retryWhileBusy<T>(call: () => Promise<T>): Promise<T> {
    const delays = this.#options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS
    for (let attempt = 1; ; attempt++) {
      try {
        return await call()
      } catch (err) {
        const busy = err instanceof WardenError && err.details.errcode === SYSTEM_BUSY_ERRCODE
        if (!busy || attempt >= MAX_TRIES) throw err

        const delayMs = delays[Math.min(attempt - 1, delays.length - 1)] ?? 0
        this.#log?.warn({ attempt, delayMs }, 'wecom busy, retrying')
        await sleep(delayMs)
      }
    }
  }

  #check(path: string, reply: WecomReply, tokens: string[]): WecomReply {
    const errcode = reply.errcode as number
    if (errcode === 0) return reply

    const rawErrmsg = typeof reply.errmsg === 'string' ? reply.errmsg : ''
    const errmsg = redactSecrets(rawErrmsg, [this.#options.credentials.secret, ...tokens])
    const error = toWecomError(errcode, {
      path,
      errmsg,
      invalidUsers: splitUserIds(reply.invaliduser),
    })
    // The caller logs the thrown error; debug here keeps it from being logged twice.
    this.#log?.debug({ path, errcode, errmsg }, 'wecom api error')
    throw error
  }

  /** GET when there is no body. The query holds secrets, so the URL is never logged. */
  async #request(path: string, query: Record<string, string>, body?: unknown): Promise<WecomReply> {
    const url = `${this.#baseUrl}${path}?${new URLSearchParams(query)}`
    const init: RequestInit = {
      method: body === undefined ? 'GET' : 'POST',
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    }
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' }
      init.body = JSON.stringify(body)
    }

    let text: string
    try {
      const response = await this.#fetch(url, init)
      text = await response.text()
      if (!response.ok) throw toHttpError('bad-status', path, { httpStatus: response.status })
    } catch (err) {
      if (err instanceof WardenError) throw err
      throw toFetchError(err, path)
    }
    return parseReply(text, path)
  }

  /**
   * media/get answers bytes with a Content-Disposition on success and a JSON errcode body on
   * failure, both with HTTP 200. Only a body that carries a filename, or that is not text and
   * not a JSON errcode, counts as media.
   */
  async #requestMedia(query: Record<string, string>, token: string): Promise<Answer<MediaFile>> {
    const path = MEDIA_GET_PATH
    const url = `${this.#baseUrl}${path}?${new URLSearchParams({ ...query, access_token: token })}`
    const timeoutMs = this.#options.mediaTimeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS
    let bytes: Buffer
    let headers: Headers
    try {
      const response = await this.#fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
      headers = response.headers
      bytes = await readCapped(response, this.#options.maxMediaBytes ?? DEFAULT_MAX_MEDIA_BYTES)
      if (!response.ok) throw toHttpError('bad-status', path, { httpStatus: response.status })
    } catch (err) {
      if (err instanceof WardenError) throw err
      throw toFetchError(err, path)
    }

    const contentType = headers.get('content-type')
    const filename = readFilename(headers.get('content-disposition'))
    if (filename !== null) return { data: { bytes, contentType, filename } }
    const reply = tryParseReply(bytes)
    if (reply) return { reply }
    if (isTextType(contentType)) throw toHttpError('bad-body', path)
    return { data: { bytes, contentType, filename: null } }
  }
}

/** Cuts at most `maxBytes` of UTF-8 without splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= maxBytes) return text

  let end = maxBytes
  // Continuation bytes look like 10xxxxxx; back off to the start of that code point.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString('utf8')
}

function buildTextBody(request: SendTextRequest, agentId: string): Record<string, unknown> {
  const { toUser, duplicateCheckSeconds: window } = request
  if (toUser.length === 0 || toUser.length > MAX_RECIPIENTS) {
    throw invalidRequest(`sendText needs 1 to ${MAX_RECIPIENTS} recipients`)
  }
  if (toUser.some((user) => user === '' || user.includes('|'))) {
    throw invalidRequest('a recipient id is empty or contains "|"')
  }

  const body = {
    touser: toUser.join('|'),
    msgtype: 'text',
    agentid: Number(agentId),
    text: { content: truncateUtf8(request.content, TEXT_LIMIT_BYTES) },
    safe: 0,
  }
  if (window === undefined) return body
  if (!Number.isInteger(window) || window < 1 || window > MAX_DUPLICATE_CHECK_SECONDS) {
    throw invalidRequest(`duplicateCheckSeconds must be 1 to ${MAX_DUPLICATE_CHECK_SECONDS}`)
  }
  return { ...body, enable_duplicate_check: 1, duplicate_check_interval: window }
}

function parseReply(text: string, path: string): WecomReply {
  let reply: unknown
  try {
    reply = JSON.parse(text)
  } catch {
    throw toHttpError('bad-body', path)
  }
  const errcode = (reply as WecomReply | null)?.errcode
  if (typeof errcode !== 'number') throw toHttpError('bad-body', path)
  return reply as WecomReply
}

function splitUserIds(value: unknown): string[] {
  if (typeof value !== 'string') return []
  return value.split('|').filter((id) => id !== '')
}

function invalidRequest(message: string): WardenError {
  return new WardenError('WARDEN_INTERNAL', { message, details: { retryable: false } })
}

function assertOptions(options: WecomClientOptions): void {
  const { corpId, agentId, secret } = options.credentials
  const problems: string[] = []
  if (!URL.canParse(options.baseUrl)) problems.push('baseUrl must be an absolute URL')
  if (corpId === '') problems.push('corpId must not be empty')
  if (!/^\d+$/.test(agentId)) problems.push('agentId must be the numeric AgentID')
  if (secret === '') problems.push('secret must not be empty')
  if (problems.length === 0) return

  throw new WardenError('WARDEN_CONFIG_INVALID', {
    message: `WeCom client options: ${problems.join('; ')}`,
  })
}
