import { WardenError } from '../errors/warden-error.js'

const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/

/**
 * base64(EncodingAESKey + '=') -> 32 bytes. Must be exactly 43 chars of [A-Za-z0-9]; anything else
 * (42 chars, trailing newline/space, bad chars) throws WardenError WARDEN_CRYPTO_BAD_AES_KEY.
 */
export function parseEncodingAesKey(encodingAesKey: string): Buffer {
  if (typeof encodingAesKey !== 'string' || !ENCODING_AES_KEY.test(encodingAesKey)) {
    // The length helps an operator spot a pasted newline; the key itself never leaves here.
    const length = typeof encodingAesKey === 'string' ? encodingAesKey.length : null
    throw new WardenError('WARDEN_CRYPTO_BAD_AES_KEY', { details: { length } })
  }

  // The last character carries two spare bits that WeCom does not keep at zero (the official D1
  // key ends in 'G'), so a non-canonical final character is accepted as the official libs do.
  return Buffer.from(`${encodingAesKey}=`, 'base64')
}

/** Throws unless the key is the 32-byte buffer that parseEncodingAesKey returns. */
export function assertAesKey(aesKey: Buffer): void {
  if (!Buffer.isBuffer(aesKey) || aesKey.length !== 32) {
    throw new WardenError('WARDEN_CRYPTO_BAD_AES_KEY', { details: { reason: 'not 32 bytes' } })
  }
}
