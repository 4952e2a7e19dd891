import { randomInt } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { encrypt, getSignature } from '@wecom/crypto'
import { WardenError } from '../errors/warden-error.js'

// Encryption and signing go through the official @wecom/crypto package on purpose, never
// through src/crypto: tests then cross-check our decrypt against an independent encrypt.

export interface CallbackAppConfig {
  token: string
  encodingAesKey: string
  /** The receiveid sealed into the ciphertext; '' for an AI bot. */
  corpId: string
  agentId: string
}

export interface CallbackOptions {
  timestampSeconds?: number
  nonce?: string
  /** The 16-byte random prefix; fixed values make ciphertexts reproducible. */
  random?: Buffer
}

export interface BuiltCallback {
  /** URL-encoded msg_signature, timestamp and nonce. */
  query: string
  /** The outer XML envelope, every value in CDATA. */
  body: string
  timestamp: string
  nonce: string
  signature: string
  encrypted: string
}

export interface BuiltVerification {
  /** URL-encoded msg_signature, timestamp, nonce and echostr, exactly once. */
  query: string
  echostr: string
  timestamp: string
  nonce: string
  signature: string
}

const DELIVERY_TIMEOUT_MS = 10_000

/** Seals a decrypted callback XML the way WeCom does before POSTing it to an app. */
export function buildMessageCallback(
  app: CallbackAppConfig,
  plaintextXml: string,
  opts: CallbackOptions = {},
): BuiltCallback {
  const { timestamp, nonce } = chooseStamp(opts)
  const encrypted = encrypt(app.encodingAesKey, plaintextXml, app.corpId, opts.random)
  const signature = getSignature(app.token, timestamp, nonce, encrypted)
  const query = new URLSearchParams({ msg_signature: signature, timestamp, nonce }).toString()
  const body = [
    `<xml><ToUserName>${cdata(app.corpId)}</ToUserName>`,
    `<Encrypt>${cdata(encrypted)}</Encrypt>`,
    `<AgentID>${cdata(app.agentId)}</AgentID></xml>`,
  ].join('')
  return { query, body, timestamp, nonce, signature, encrypted }
}

/** The GET WeCom sends when an admin saves the callback URL; echostr is signed too. */
export function buildUrlVerification(
  app: CallbackAppConfig,
  echoPlain: string,
  opts: CallbackOptions = {},
): BuiltVerification {
  const { timestamp, nonce } = chooseStamp(opts)
  const echostr = encrypt(app.encodingAesKey, echoPlain, app.corpId, opts.random)
  const signature = getSignature(app.token, timestamp, nonce, echostr)
  const params = { msg_signature: signature, timestamp, nonce, echostr }
  return { query: new URLSearchParams(params).toString(), echostr, timestamp, nonce, signature }
}

export function textMessageXml(p: {
  corpId: string
  fromUser: string
  content: string
  msgId: string
  agentId: string
  createTime: number
}): string {
  return [
    `<xml><ToUserName>${cdata(p.corpId)}</ToUserName>`,
    `<FromUserName>${cdata(p.fromUser)}</FromUserName>`,
    `<CreateTime>${p.createTime}</CreateTime>`,
    `<MsgType>${cdata('text')}</MsgType>`,
    `<Content>${cdata(p.content)}</Content>`,
    `<MsgId>${digitsOrCdata(p.msgId)}</MsgId>`,
    `<AgentID>${digitsOrCdata(p.agentId)}</AgentID></xml>`,
  ].join('')
}

export function eventXml(p: {
  corpId: string
  fromUser: string
  event: string
  agentId: string
  createTime: number
  extra?: Record<string, string>
}): string {
  const extra = Object.entries(p.extra ?? {}).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
      throw new WardenError('WARDEN_INTERNAL', { message: 'event field name is not an XML name' })
    }
    return `<${name}>${cdata(value)}</${name}>`
  })
  return [
    `<xml><ToUserName>${cdata(p.corpId)}</ToUserName>`,
    `<FromUserName>${cdata(p.fromUser)}</FromUserName>`,
    `<CreateTime>${p.createTime}</CreateTime>`,
    `<MsgType>${cdata('event')}</MsgType>`,
    `<Event>${cdata(p.event)}</Event>`,
    ...extra,
    `<AgentID>${digitsOrCdata(p.agentId)}</AgentID></xml>`,
  ].join('')
}

/** POSTs to `${serviceUrl}/wecom/callback?${query}` as WeCom would, timing the answer. */
export async function deliverCallback(
  serviceUrl: string,
  built: BuiltCallback,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now()
  const response = await fetch(`${serviceUrl.replace(/\/+$/, '')}/wecom/callback?${built.query}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: built.body,
    signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
  })
  const body = await response.text()
  return { status: response.status, body, ms: performance.now() - started }
}

/** A `]]>` inside the value would end the section early: split it across two sections. */
function cdata(value: string): string {
  return `<![CDATA[${value.split(']]>').join(']]]]><![CDATA[>')}]]>`
}

/** WeCom writes MsgId and AgentID bare; anything not numeric still has to stay valid XML. */
function digitsOrCdata(value: string): string {
  return /^\d+$/.test(value) ? value : cdata(value)
}

function chooseStamp(opts: CallbackOptions): { timestamp: string; nonce: string } {
  const timestamp = String(opts.timestampSeconds ?? Math.floor(Date.now() / 1000))
  const nonce = opts.nonce ?? String(randomInt(1_000_000_000, 9_999_999_999))
  return { timestamp, nonce }
}
