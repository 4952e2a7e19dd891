import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { ErrorCode } from '../errors/catalogue.js'
import { WardenError } from '../errors/warden-error.js'
import { assertAesKey } from './aes-key.js'

/** The decrypted parts of random(16) | msg_len(4, BE) | msg | receiveid. */
export interface OpenedEnvelope {
  message: string
  receiveId: string
  random: Buffer
}

const RANDOM_BYTES = 16
const HEADER_BYTES = RANDOM_BYTES + 4
// WeCom pads to 32-byte blocks although AES works on 16, so pad values run 1..32.
const PAD_BLOCK = 32
const AES_BLOCK = 16

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Decrypts a WeCom Encrypt/echostr value; throws only WardenError, whatever the input. */
export function decryptEnvelope(aesKey: Buffer, encrypted: string): OpenedEnvelope {
  assertAesKey(aesKey)
  const ciphertext = decodeStrictBase64(encrypted)
  if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK !== 0) {
    fail('WARDEN_CRYPTO_DECRYPT_FAILED', 'length not a multiple of 16')
  }

  const padded = runAes(aesKey, ciphertext)
  const plain = padded.subarray(0, padded.length - readPadLength(padded))
  if (plain.length < HEADER_BYTES) fail('WARDEN_CRYPTO_BAD_PLAINTEXT', 'shorter than header')

  const messageEnd = HEADER_BYTES + plain.readUInt32BE(RANDOM_BYTES)
  if (messageEnd > plain.length) fail('WARDEN_CRYPTO_BAD_PLAINTEXT', 'length field too large')

  return {
    message: decodeUtf8(plain.subarray(HEADER_BYTES, messageEnd)),
    receiveId: decodeUtf8(plain.subarray(messageEnd)),
    random: Buffer.from(plain.subarray(0, RANDOM_BYTES)),
  }
}

/** Encrypts with exactly one PKCS#7 pad of 1..32 bytes; every length is in UTF-8 bytes. */
export function encryptEnvelope(
  aesKey: Buffer,
  message: string,
  receiveId: string,
  random: Buffer = randomBytes(RANDOM_BYTES),
): string {
  assertAesKey(aesKey)
  if (!Buffer.isBuffer(random) || random.length !== RANDOM_BYTES) {
    fail('WARDEN_CRYPTO_ENCRYPT_FAILED', 'random prefix must be 16 bytes')
  }

  const body = Buffer.from(message, 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  const plain = Buffer.concat([random, length, body, Buffer.from(receiveId, 'utf8')])
  const padLength = PAD_BLOCK - (plain.length % PAD_BLOCK)

  const cipher = createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, AES_BLOCK))
  cipher.setAutoPadding(false)
  const padded = Buffer.concat([plain, Buffer.alloc(padLength, padLength)])
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64')
}

/** Node's decoder skips foreign characters; re-encoding proves the text was canonical base64. */
function decodeStrictBase64(encrypted: string): Buffer {
  if (typeof encrypted !== 'string') fail('WARDEN_CRYPTO_BAD_BASE64', 'not a string')

  const bytes = Buffer.from(encrypted, 'base64')
  if (bytes.toString('base64') !== encrypted) fail('WARDEN_CRYPTO_BAD_BASE64', 'not canonical')
  return bytes
}

function runAes(aesKey: Buffer, ciphertext: Buffer): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, AES_BLOCK))
    decipher.setAutoPadding(false)
    return Buffer.concat([decipher.update(ciphertext), decipher.final()])
  } catch (cause) {
    throw new WardenError('WARDEN_CRYPTO_DECRYPT_FAILED', { details: { reason: 'aes' }, cause })
  }
}

/** Validates every pad byte: a wrong key or a tampered block must not pass as a short pad. */
function readPadLength(padded: Buffer): number {
  const padLength = padded[padded.length - 1] ?? 0
  if (padLength < 1 || padLength > PAD_BLOCK || padLength > padded.length) {
    fail('WARDEN_CRYPTO_DECRYPT_FAILED', 'bad pad length')
  }
  for (let i = padded.length - padLength; i < padded.length; i++) {
    if (padded[i] !== padLength) fail('WARDEN_CRYPTO_DECRYPT_FAILED', 'bad pad bytes')
  }
  return padLength
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes)
  } catch (cause) {
    throw new WardenError('WARDEN_CRYPTO_BAD_PLAINTEXT', { details: { reason: 'utf-8' }, cause })
  }
}

function fail(code: ErrorCode, reason: string): never {
  throw new WardenError(code, { details: { reason } })
}
