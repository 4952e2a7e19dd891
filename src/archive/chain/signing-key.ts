import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { WardenError } from '../../errors/warden-error.js'
import { sha256Hex } from './canonical-record.js'

// DER prefixes that wrap a raw 32-byte Ed25519 seed / public key (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface CheckpointSigner {
  keyId: string
  sign(message: string): string
  publicKey: KeyObject
}

/**
 * Reads ARCHIVE_SIGNING_KEY: a PKCS#8 PEM (newlines may be written as `\n` in an env file) or
 * the 32-byte seed in base64. Anything else is refused with a message that never repeats the
 * value.
 */
export function readSigningKey(value: string, variable = 'ARCHIVE_SIGNING_KEY'): CheckpointSigner {
  const privateKey = parseKey(value, variable, 'private')
  const publicKey = createPublicKey(privateKey)
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
  }
}

/**
 * Reads ARCHIVE_VERIFY_KEY: an SPKI PEM or the 32-byte public key in base64. A private key is
 * refused even though its public half could be derived: the verifying side must not hold it.
 * TODO(#4): a bare 32-byte seed in base64 looks exactly like a public key and is not caught
 * here; signatures then fail to verify.
 */
export function readVerifyKey(value: string, variable = 'ARCHIVE_VERIFY_KEY'): KeyObject {
  if (holdsPrivateKey(value)) {
    throw new WardenError('WARDEN_ARCHIVE_SIGNING_KEY_INVALID', {
      message:
        `${variable} holds a private key: give only the public key ` +
        '(`openssl pkey -in private.pem -pubout`) and keep the private one off this machine',
    })
  }
  return parseKey(value, variable, 'public')
}

export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return sha256Hex(der).slice(0, 16)
}

export function verifySignature(publicKey: KeyObject, message: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64'))
  } catch {
    return false
  }
}

function parseKey(value: string, variable: string, kind: 'private' | 'public'): KeyObject {
  const text = value.trim().replaceAll('\\n', '\n')
  try {
    const key = text.startsWith('-----BEGIN')
      ? kind === 'private'
        ? createPrivateKey(text)
        : createPublicKey(text)
      : fromRaw(text, kind)
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key')
    return key
  } catch (cause) {
    throw new WardenError('WARDEN_ARCHIVE_SIGNING_KEY_INVALID', {
      message:
        `${variable} is invalid: it must be an Ed25519 ${kind} key as PEM, or its 32 bytes in ` +
        'base64 (create one with `openssl genpkey -algorithm ed25519`)',
      cause: cause instanceof WardenError ? undefined : new Error((cause as Error).message),
    })
  }
}

/** A PEM private key of any kind, a PKCS#8 DER or a libsodium seed-and-public pair in base64. */
function holdsPrivateKey(value: string): boolean {
  const text = value.trim().replaceAll('\\n', '\n')
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) return true
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false
  const raw = Buffer.from(text, 'base64')
  try {
    if (raw.length === 64) {
      const seed = fromRaw(raw.subarray(0, 32).toString('base64'), 'private')
      const derived = createPublicKey(seed).export({ format: 'der', type: 'spki' })
      return derived.subarray(SPKI_PREFIX.length).equals(raw.subarray(32))
    }
    createPrivateKey({ key: raw, format: 'der', type: 'pkcs8' })
    return true
  } catch {
    return false
  }
}

function fromRaw(text: string, kind: 'private' | 'public'): KeyObject {
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(text)) throw new Error('not 32 bytes of base64')
  const raw = Buffer.from(text, 'base64')
  if (raw.length !== 32) throw new Error('not 32 bytes')
  return kind === 'private'
    ? createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' })
    : createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
}
