import { WardenError } from '../errors/warden-error.js'
import { parseXmlRecord, type XmlValue } from './safe-xml.js'

/** The outer POST body <xml><ToUserName/><AgentID/><Encrypt/></xml>, in any element order. */
export interface CallbackEnvelope {
  encrypt: string
  toUserName: string | null
  agentId: string | null
}

/**
 * Reads the outer callback body, CDATA or bare text. Malformed XML or a DTD throws WARDEN_PARSE_*;
 * a missing, empty or repeated Encrypt throws WARDEN_CALLBACK_BAD_BODY.
 */
export function readCallbackEnvelope(body: string): CallbackEnvelope {
  if (typeof body !== 'string') {
    throw new WardenError('WARDEN_CALLBACK_BAD_BODY', { details: { reason: 'not a string' } })
  }

  const record = parseXmlRecord(body)
  // Encrypt is kept byte for byte: the signature covers exactly this text.
  const encrypt = readText(record.Encrypt)
  if (encrypt === null) {
    throw new WardenError('WARDEN_CALLBACK_BAD_BODY', { details: { reason: 'no Encrypt' } })
  }
  return { encrypt, toUserName: readText(record.ToUserName), agentId: readText(record.AgentID) }
}

function readText(value: XmlValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}
