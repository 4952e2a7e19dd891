import { createHash } from 'node:crypto'
import { parseXmlRecord, type XmlRecord, type XmlValue } from './safe-xml.js'

export type InboundKind = 'message' | 'event' | 'unknown'

/** A decrypted app callback, with the fields every later step needs lifted out of `fields`. */
export interface InboundMessage {
  /** WeCom MsgId when present, else 'evt-' + sha256 over every field (see deriveKey). */
  msgId: string
  hasWecomMsgId: boolean
  kind: InboundKind
  msgType: string | null
  /** The Event field, for events only. */
  event: string | null
  /** ToUserName. */
  corpId: string | null
  /** Digits only; '' or anything else is null. */
  agentId: string | null
  fromUser: string | null
  /** Seconds; '' or non-numeric is null. */
  createTime: number | null
  /** Content of a text message; null for every other type. */
  content: string | null
  /** Everything, as parsed strings. */
  fields: XmlRecord
}

// The app-callback message types (docs 96467) plus file, which the archive and bots deliver.
const MESSAGE_TYPES = new Set(['text', 'image', 'voice', 'video', 'location', 'link', 'file'])
const DIGITS = /^[0-9]+$/

/**
 * Never throws for well-formed XML of any shape (unknown types are archived as 'unknown').
 * Throws WARDEN_PARSE_* only for malformed XML/DTD.
 */
export function parseInboundMessage(plaintextXml: string): InboundMessage {
  const fields = parseXmlRecord(plaintextXml)
  const msgType = readText(fields.MsgType)
  const kind = classify(msgType)
  const wecomMsgId = readText(fields.MsgId)?.trim() || null

  return {
    msgId: wecomMsgId ?? deriveKey(fields),
    hasWecomMsgId: wecomMsgId !== null,
    kind,
    msgType,
    event: kind === 'event' ? readText(fields.Event) : null,
    corpId: readText(fields.ToUserName),
    agentId: readDigits(fields.AgentID),
    fromUser: readText(fields.FromUserName),
    createTime: readSeconds(fields.CreateTime),
    content: msgType === 'text' && typeof fields.Content === 'string' ? fields.Content : null,
    fields,
  }
}

function classify(msgType: string | null): InboundKind {
  if (msgType === 'event') return 'event'
  return msgType !== null && MESSAGE_TYPES.has(msgType) ? 'message' : 'unknown'
}

/**
 * WeCom's own advice (FromUserName + CreateTime) collides for different events in one second,
 * so the key covers every field: a retry of the same callback maps to the same key, any change
 * to a different one.
 */
function deriveKey(fields: XmlRecord): string {
  return `evt-${createHash('sha256').update(serialiseCanonically(fields)).digest('hex')}`
}

/** JSON with keys sorted at every depth; list order is kept because it is content. */
function serialiseCanonically(value: XmlValue): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(serialiseCanonically).join(',')}]`

  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${serialiseCanonically(value[key] as XmlValue)}`)
  return `{${entries.join(',')}}`
}

function readText(value: XmlValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

function readDigits(value: XmlValue | undefined): string | null {
  const text = readText(value)?.trim()
  return text !== undefined && DIGITS.test(text) ? text : null
}

function readSeconds(value: XmlValue | undefined): number | null {
  const digits = readDigits(value)
  if (digits === null) return null
  const seconds = Number(digits)
  return Number.isSafeInteger(seconds) ? seconds : null
}
