import { createHash, timingSafeEqual } from 'node:crypto'
import { WardenError } from '../errors/warden-error.js'

/** hex(SHA1(concat(sort([token, timestamp, nonce, encrypted])))) as WeCom defines it. */
export function computeSignature(
  token: string,
  timestamp: string,
  nonce: string,
  encrypted: string,
): string {
  // The official libraries sort byte strings; comparing UTF-8 bytes keeps that order even for
  // characters where JavaScript's UTF-16 order differs.
  const parts = [token, timestamp, nonce, encrypted].map((part) => Buffer.from(part, 'utf8'))
  parts.sort(Buffer.compare)
  return createHash('sha1').update(Buffer.concat(parts)).digest('hex')
}

/**
 * Constant-time compare (crypto.timingSafeEqual on equal-length buffers; length mismatch = fail);
 * throws WARDEN_CRYPTO_BAD_SIGNATURE.
 */
export function verifySignature(
  token: string,
  timestamp: string,
  nonce: string,
  encrypted: string,
  signature: string,
): void {
  const expected = Buffer.from(computeSignature(token, timestamp, nonce, encrypted), 'utf8')
  const given = Buffer.from(typeof signature === 'string' ? signature : '', 'utf8')

  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new WardenError('WARDEN_CRYPTO_BAD_SIGNATURE')
  }
}
