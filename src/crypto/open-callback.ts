import { WardenError } from '../errors/warden-error.js'
import { decryptEnvelope, encryptEnvelope } from './envelope.js'
import { computeSignature, verifySignature } from './signature.js'

/** One WeCom app or bot: receiveId is the CorpID for a self-built app, '' for an AI bot. */
export interface CallbackCredentials {
  token: string
  aesKey: Buffer
  receiveId: string
}

/** What a callback carries: the query's msg_signature/timestamp/nonce and Encrypt (or echostr). */
export interface SignedParts {
  signature: string
  timestamp: string
  nonce: string
  encrypted: string
}

/** maxAgeSeconds 0 turns the replay window off; nowSeconds lets tests fix the clock. */
export interface OpenOptions {
  maxAgeSeconds: number
  nowSeconds?: number
}

// WeCom sends Unix seconds; more than 20 digits cannot be a timestamp of any era.
const TIMESTAMP = /^[0-9]{1,20}$/

/**
 * Checks, in order, the timestamp shape and window (WARDEN_CALLBACK_STALE_TIMESTAMP, both past and
 * future skew), the signature, the decryption, then the receiveid
 * (WARDEN_CRYPTO_RECEIVEID_MISMATCH). Returns the plaintext message.
 *
 * An absent part, or a timestamp that is not 1-20 ASCII digits, is a malformed request and throws
 * WARDEN_CALLBACK_MISSING_PARAMS; the shape is checked even when the window is off.
 */
export function openCallback(
  creds: CallbackCredentials,
  parts: SignedParts,
  options: OpenOptions,
): string {
  assertPartsPresent(parts)
  assertFresh(parts.timestamp, options)

  verifySignature(creds.token, parts.timestamp, parts.nonce, parts.encrypted, parts.signature)
  const opened = decryptEnvelope(creds.aesKey, parts.encrypted)

  if (opened.receiveId !== creds.receiveId) {
    // The id is the sender's CorpID/SuiteID, not a secret, and it names the misrouted app.
    const received = opened.receiveId.slice(0, 64)
    throw new WardenError('WARDEN_CRYPTO_RECEIVEID_MISMATCH', { details: { received } })
  }
  return opened.message
}

/** Build the passive-reply/outgoing envelope fields (used by the simulator and for replies). */
export function sealMessage(
  creds: CallbackCredentials,
  message: string,
  timestamp: string,
  nonce: string,
  random?: Buffer,
): { encrypted: string; signature: string } {
  const encrypted = encryptEnvelope(creds.aesKey, message, creds.receiveId, random)
  return { encrypted, signature: computeSignature(creds.token, timestamp, nonce, encrypted) }
}

function assertPartsPresent(parts: SignedParts): void {
  const missing = (['signature', 'timestamp', 'nonce', 'encrypted'] as const).filter(
    (name) => typeof parts[name] !== 'string' || parts[name] === '',
  )
  if (missing.length > 0) {
    throw new WardenError('WARDEN_CALLBACK_MISSING_PARAMS', { details: { missing } })
  }
  if (!TIMESTAMP.test(parts.timestamp)) {
    throw new WardenError('WARDEN_CALLBACK_MISSING_PARAMS', { details: { invalid: ['timestamp'] } })
  }
}

function assertFresh(timestamp: string, options: OpenOptions): void {
  const { maxAgeSeconds } = options
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new WardenError('WARDEN_CONFIG_INVALID', { details: { maxAgeSeconds } })
  }
  if (maxAgeSeconds === 0) return

  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000)
  const skewSeconds = now - Number(timestamp)
  if (Math.abs(skewSeconds) > maxAgeSeconds) {
    throw new WardenError('WARDEN_CALLBACK_STALE_TIMESTAMP', { details: { skewSeconds } })
  }
}
