import { createCipheriv } from 'node:crypto'
import t from 'tap'
import { parseEncodingAesKey } from '../src/crypto/aes-key.js'
import { decryptEnvelope, encryptEnvelope } from '../src/crypto/envelope.js'
import { openCallback, sealMessage } from '../src/crypto/open-callback.js'
import { computeSignature } from '../src/crypto/signature.js'
import { WardenError } from '../src/errors/warden-error.js'

const CORP_ID = 'ww0000000000000000'
const aesKey = parseEncodingAesKey('kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR')
const creds = { token: 'fuzztoken', aesKey, receiveId: CORP_ID }
const ROUNDS = 800

/** mulberry32: a tiny seeded generator, so a failure replays exactly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state)
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}

const random = seededRandom(0x5eed_c0de)
const pick = (below: number) => Math.floor(random() * below)
const bytes = (length: number) => Buffer.from(Array.from({ length }, () => pick(256)))

const ODD_CHARACTERS = [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=',
  ...'-_ \n\r\t%.,é你\u0000\ufeff',
  '\ud800',
]

function oddString(): string {
  const length = pick(120)
  return Array.from({ length }, () => ODD_CHARACTERS[pick(ODD_CHARACTERS.length)]).join('')
}

function encryptRaw(plain: Buffer): string {
  const cipher = createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

/** A correctly padded plaintext whose length field and body are hostile. */
function forgedEnvelope(): string {
  const body = bytes(pick(80))
  const length = Buffer.alloc(4)
  const lengthField = [pick(2 ** 32), body.length, body.length + 1, pick(body.length + 1)][pick(4)]
  length.writeUInt32BE(lengthField ?? 0)
  const plain = Buffer.concat([bytes(16), length, body].slice(0, 1 + pick(3)))
  const pad = 32 - (plain.length % 32)
  return encryptRaw(Buffer.concat([plain, Buffer.alloc(pad, pad)]))
}

function validCiphertext(): string {
  const message = `<xml><Content><![CDATA[${oddString()}]]></Content></xml>`
  return encryptEnvelope(aesKey, message, pick(2) === 0 ? CORP_ID : '')
}

function truncated(): string {
  const valid = validCiphertext()
  return valid.slice(0, pick(valid.length))
}

function bitFlipped(): string {
  const ciphertext = Buffer.from(validCiphertext(), 'base64')
  for (let flips = 1 + pick(3); flips > 0; flips--) {
    const at = pick(ciphertext.length)
    ciphertext[at] = (ciphertext[at] ?? 0) ^ (1 << pick(8))
  }
  return ciphertext.toString('base64')
}

const GENERATORS: Record<string, () => string> = {
  'random bytes': () => bytes(pick(4) === 0 ? 16 * pick(8) : pick(200)).toString('base64'),
  'odd base64': oddString,
  truncated,
  'bit-flipped': bitFlipped,
  'forged plaintext': forgedEnvelope,
}

interface Tally {
  opened: number
  codes: Record<string, number>
  foreign: string[]
}

function attempt(tally: Tally, input: string, open: (input: string) => unknown): void {
  try {
    open(input)
    tally.opened++
  } catch (err) {
    if (err instanceof WardenError) tally.codes[err.code] = (tally.codes[err.code] ?? 0) + 1
    else tally.foreign.push(`${JSON.stringify(input)}: ${String(err)}`)
  }
}

t.test('garbled ciphertexts only ever raise WardenError from decryptEnvelope', async (t) => {
  const tally: Tally = { opened: 0, codes: {}, foreign: [] }
  for (const [name, generate] of Object.entries(GENERATORS)) {
    const before: Record<string, number> = { ...tally.codes, opened: tally.opened }
    for (let round = 0; round < ROUNDS; round++) {
      attempt(tally, generate(), (input) => decryptEnvelope(aesKey, input))
    }
    const after: Record<string, number> = { ...tally.codes, opened: tally.opened }
    const counts = Object.keys(after).map(
      (key) => `${key}=${(after[key] ?? 0) - (before[key] ?? 0)}`,
    )
    t.comment(name, counts.join(' '))
  }

  t.same(tally.foreign, [], 'no other exception escaped')
  for (const code of [
    'WARDEN_CRYPTO_BAD_BASE64',
    'WARDEN_CRYPTO_DECRYPT_FAILED',
    'WARDEN_CRYPTO_BAD_PLAINTEXT',
  ]) {
    t.ok((tally.codes[code] ?? 0) > 0, `the fuzz reached ${code}`)
  }
  t.ok(tally.opened > 0, 'some forged envelopes are well formed and open')
})

t.test('garbled signed callbacks only ever raise WardenError from openCallback', async (t) => {
  const tally: Tally = { opened: 0, codes: {}, foreign: [] }
  const generators = Object.values(GENERATORS)
  for (let round = 0; round < ROUNDS; round++) {
    const encrypted = generators[pick(generators.length)]?.() ?? ''
    const timestamp = pick(8) === 0 ? oddString() : String(1_700_000_000 + pick(1000))
    const signature = computeSignature(creds.token, timestamp, 'nonce', encrypted)
    const parts = { signature, timestamp, nonce: 'nonce', encrypted }
    attempt(tally, encrypted, () => openCallback(creds, parts, { maxAgeSeconds: 0 }))
  }

  t.same(tally.foreign, [], 'no other exception escaped')
  t.ok((tally.codes.WARDEN_CRYPTO_DECRYPT_FAILED ?? 0) > 0, 'signed garbage reaches decryption')
})

t.test('every well-formed sealed message opens again unchanged', async (t) => {
  const failures: string[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const message = oddString().replaceAll('\ud800', '\ufffd')
    const sealed = sealMessage(creds, message, '1700000000', 'nonce', bytes(16))
    const parts = { ...sealed, timestamp: '1700000000', nonce: 'nonce' }
    if (openCallback(creds, parts, { maxAgeSeconds: 0 }) !== message) failures.push(message)
  }
  t.same(failures, [])
})
