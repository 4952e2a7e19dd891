import type { FastifyInstance } from 'fastify'
import { archiveMessage } from '../../archive/archive-message.js'
import { type CallbackCredentials, openCallback } from '../../crypto/open-callback.js'
import { readCallbackEnvelope } from '../../parse/callback-envelope.js'
import { readInbound } from '../../parse/read-inbound.js'
import { receiveCallbackSchema, verifyUrlSchema } from './schemas.js'

export interface AppCallbackOptions {
  credentials: CallbackCredentials
  maxAgeSeconds: number
  bodyLimit: number
}

interface SignedQuery {
  msg_signature: string
  timestamp: string
  nonce: string
}

/**
 * The self-built app's callback URL. GET answers WeCom's URL check; POST takes messages and
 * events, and answers 200 with an empty body only once the decrypted callback is stored.
 */
export async function appCallbackRoutes(app: FastifyInstance, options: AppCallbackOptions) {
  const { credentials, maxAgeSeconds } = options

  // WeCom posts XML, sometimes without a content type: take every body as a string here.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: options.bodyLimit },
    (_r, body, done) => done(null, body),
  )

  app.addHook('onRequest', async (request) => {
    if (!request.headers['content-type']) request.headers['content-type'] = 'text/xml'
  })

  const config = { validationCode: 'WARDEN_CALLBACK_MISSING_PARAMS' as const }

  app.get<{ Querystring: SignedQuery & { echostr: string } }>(
    '/wecom/callback',
    { schema: verifyUrlSchema, config },
    async (request, reply) => {
      const { msg_signature, timestamp, nonce } = request.query
      // A '+' that reached us unencoded was turned into a space; base64 never holds spaces.
      const echostr = request.query.echostr.replaceAll(' ', '+')

      const plaintext = openCallback(
        credentials,
        { signature: msg_signature, timestamp, nonce, encrypted: echostr },
        { maxAgeSeconds },
      )

      request.log.info({ channel: 'app-callback' }, 'callback url verified')
      return reply.code(200).type('text/plain; charset=utf-8').send(plaintext)
    },
  )

  app.post<{ Querystring: SignedQuery; Body: string | undefined }>(
    '/wecom/callback',
    { schema: receiveCallbackSchema, config },
    async (request, reply) => {
      const receivedAt = new Date()
      const { msg_signature, timestamp, nonce } = request.query
      const envelope = readCallbackEnvelope(request.body ?? '')

      const plaintext = openCallback(
        credentials,
        { signature: msg_signature, timestamp, nonce, encrypted: envelope.encrypt },
        { maxAgeSeconds },
      )
      const inbound = readInbound(plaintext)
      // Names, not only ids, for reviewers: captured now, as the directory says at archive time.
      const sender = await app.warden.senderOf(memberId(inbound.fromUser))

      const stored = await archiveMessage(
        app.warden.archive,
        'app-callback',
        inbound,
        plaintext,
        receivedAt,
        { sender },
      )
      await app.warden.afterArchive(stored, request.log, {
        _id: stored.id,
        msgType: inbound.msgType,
        createTime: Number.isFinite(inbound.createTime)
          ? new Date((inbound.createTime as number) * 1000)
          : null,
        receivedAt,
        fields: inbound.fields,
      })

      request.log.info(
        { msgId: inbound.msgId, kind: inbound.kind, duplicate: stored.duplicate },
        'callback archived',
      )
      return reply.code(200).type('text/plain; charset=utf-8').send('')
    },
  )
}

/** Events from the system (`sys`) and callbacks without a sender name no member. */
function memberId(fromUser: string | null): string | null {
  if (fromUser === null || fromUser === '' || fromUser === 'sys') return null
  return fromUser
}
