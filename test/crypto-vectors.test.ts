import { createCipheriv, createDecipheriv, createHash } from 'node:crypto'
import * as wecomCrypto from '@wecom/crypto'
import t from 'tap'
import { parseEncodingAesKey } from '../src/crypto/aes-key.js'
import { decryptEnvelope, encryptEnvelope } from '../src/crypto/envelope.js'
import {
  type CallbackCredentials,
  openCallback,
  type SignedParts,
  sealMessage,
} from '../src/crypto/open-callback.js'
import { computeSignature } from '../src/crypto/signature.js'
import {
  cipherTextOf,
  type SignedVector,
  signedVectors,
  type VectorConfig,
  vector,
  vectorConfig,
  vectorsOfKind,
} from './helpers/vectors.js'

const v1 = vector('V1', 'url-verify')
// V2 as openCallback takes it: the P-case tests below tamper with this genuine callback.
const V2 = partsOf(vector('V2', 'message-xml'))
const V2_PLAINTEXT = vector('V2', 'message-xml').expect_plaintext
const v3 = vector('V3', 'url-verify')
const v4 = vector('V4', 'message-xml')
const v6 = vector('V6', 'message-json')
const v6b = vector('V6b', 'signature-must-fail')
const d1 = vector('D1', 'deterministic-encrypt')

// Placeholders from shared/cases/pipeline.md; the test key is arbitrary.
const CORP_ID = 'ww0000000000000000'
const OTHER_CORP = 'ww1111111111111111'
const TEST_KEY = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR'
const NO_WINDOW = { maxAgeSeconds: 0 }

function credentialsOf(config: VectorConfig) {
  const aesKey = parseEncodingAesKey(config.encodingAESKey)
  return { token: config.token, aesKey, receiveId: config.corpId } satisfies CallbackCredentials
}

function credentialsFor(v: SignedVector) {
  return credentialsOf(vectorConfig(v.config))
}

function partsOf(v: SignedVector) {
  const { msg_signature: signature, timestamp, nonce } = v
  return { signature, timestamp, nonce, encrypted: cipherTextOf(v) } satisfies SignedParts
}

const qdg = credentialsOf(vectorConfig('QDG6eK'))
const hjq = credentialsOf(vectorConfig('hJqcu3'))
const testApp = credentialsOf({ token: 'testtoken', encodingAESKey: TEST_KEY, corpId: CORP_ID })

/** AES-CBC without touching the padding, to see exactly what the envelope holds. */
function decryptRaw(aesKey: Buffer, encrypted: string): Buffer {
  const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16))
  decipher.setAutoPadding(false)
  return Buffer.concat([decipher.update(encrypted, 'base64'), decipher.final()])
}

/** Encrypts bytes already laid out and padded by the test, to forge hostile plaintexts. */
function encryptRaw(aesKey: Buffer, plain: Buffer): string {
  const cipher = createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

function padTo32(plain: Buffer): Buffer {
  const pad = 32 - (plain.length % 32)
  return Buffer.concat([plain, Buffer.alloc(pad, pad)])
}

function layOut(random: Buffer, lengthField: number, rest: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(lengthField)
  return Buffer.concat([random, length, rest])
}

function signedFor(creds: CallbackCredentials, encrypted: string, timestamp = '1700000000') {
  const nonce = 'n0nce'
  const signature = computeSignature(creds.token, timestamp, nonce, encrypted)
  return { signature, timestamp, nonce, encrypted } satisfies SignedParts
}

t.test('official vectors', async (t) => {
  t.test(
    'V1 verifies the URL signature over echostr and returns the exact plaintext',
    async (t) => {
      const echostr = new URLSearchParams(v1.query_raw).get('echostr')
      t.equal(echostr, v1.echostr, 'the query value is URL-decoded exactly once')
      t.equal(openCallback(qdg, partsOf(v1), NO_WINDOW), v1.expect_body)
    },
  )

  t.test('V2 opens to the exact plaintext although its pad is 30 bytes', async (t) => {
    const padded = decryptRaw(qdg.aesKey, V2.encrypted)
    t.equal(padded.at(-1), 30, 'the vector really carries a pad above 16')
    t.equal(openCallback(qdg, V2, NO_WINDOW), V2_PLAINTEXT)
  })

  t.test('V3 verifies the URL signature of the second configuration', async (t) => {
    t.equal(openCallback(hjq, partsOf(v3), NO_WINDOW), v3.expect_body)
    t.throws(() => openCallback(qdg, partsOf(v3), NO_WINDOW), {
      code: 'WARDEN_CRYPTO_BAD_SIGNATURE',
    })
  })

  t.test('V4 opens to plaintext without CDATA and with UTF-8 Chinese', async (t) => {
    const message = openCallback(hjq, partsOf(v4), NO_WINDOW)
    t.equal(message, v4.expect_plaintext)
    t.ok(message.includes('<Content>你好</Content>'))
  })

  t.test('V6 opens a JSON plaintext and its MsgId survives as a string', async (t) => {
    const message = openCallback(qdg, partsOf(v6), NO_WINDOW)
    t.equal(message, v6.expect_plaintext)
    t.equal(/"MsgId":([0-9]+)/.exec(message)?.[1], '4561255354251345929')
    t.not(String(JSON.parse(message).MsgId), '4561255354251345929', 'plain JSON.parse loses it')
  })

  t.test('V6b is rejected for its signature although it decrypts', async (t) => {
    const parts = partsOf(v6b)
    t.throws(() => openCallback(qdg, parts, NO_WINDOW), { code: 'WARDEN_CRYPTO_BAD_SIGNATURE' })
    t.equal(decryptEnvelope(qdg.aesKey, parts.encrypted).receiveId, qdg.receiveId)
    const correct = computeSignature(qdg.token, parts.timestamp, parts.nonce, parts.encrypted)
    t.equal(correct, '42fb1a3b955400763e49117ce946c6fe9fdb3271')
  })

  t.test('D1 encrypts to the exact official ciphertext with a fixed random', async (t) => {
    const aesKey = parseEncodingAesKey(d1.encodingAESKey)
    const random = Buffer.from(d1.random_ascii, 'ascii')
    t.equal(encryptEnvelope(aesKey, d1.message, d1.receiveId, random), d1.expect_encrypt)

    const creds = { token: 'pamtest', aesKey, receiveId: d1.receiveId }
    const sealed = sealMessage(creds, d1.message, '1409304348', 'xxxxxx', random)
    t.same(sealed, {
      encrypted: d1.expect_encrypt,
      signature: '82c962d39941aa48552f90ef55aa323dc620cc10',
    })
  })

  t.test('every url-verify vector opens to its expected body', async (t) => {
    for (const v of vectorsOfKind('url-verify')) {
      t.equal(openCallback(credentialsFor(v), partsOf(v), NO_WINDOW), v.expect_body, v.id)
      if (v.query_raw === undefined) continue
      const query = Object.fromEntries(new URLSearchParams(v.query_raw))
      const { msg_signature, timestamp, nonce, echostr } = v
      t.same(query, { msg_signature, timestamp, nonce, echostr }, `${v.id} query_raw decodes`)
    }
  })

  t.test('every message vector opens to its expected plaintext', async (t) => {
    for (const v of [...vectorsOfKind('message-xml'), ...vectorsOfKind('message-json')]) {
      const message = openCallback(credentialsFor(v), partsOf(v), NO_WINDOW)
      t.equal(message, v.expect_plaintext, v.id)
    }
  })

  t.test('every signature-must-fail vector is refused although it decrypts', async (t) => {
    for (const v of vectorsOfKind('signature-must-fail')) {
      const creds = credentialsFor(v)
      const { timestamp, nonce, encrypted } = partsOf(v)
      const bad = { name: 'WardenError', code: 'WARDEN_CRYPTO_BAD_SIGNATURE' }
      t.throws(() => openCallback(creds, partsOf(v), NO_WINDOW), bad, v.id)
      t.not(computeSignature(creds.token, timestamp, nonce, encrypted), v.msg_signature, v.id)
      t.equal(decryptEnvelope(creds.aesKey, encrypted).receiveId, creds.receiveId, v.id)
    }
  })

  t.test('every deterministic-encrypt vector reproduces its ciphertext', async (t) => {
    for (const v of vectorsOfKind('deterministic-encrypt')) {
      const aesKey = parseEncodingAesKey(v.encodingAESKey)
      const random = Buffer.from(v.random_ascii, 'ascii')
      t.equal(encryptEnvelope(aesKey, v.message, v.receiveId, random), v.expect_encrypt, v.id)
      t.same(decryptEnvelope(aesKey, v.expect_encrypt), {
        message: v.message,
        receiveId: v.receiveId,
        random,
      })
    }
  })

  t.test('every signed vector matches the computed signature', async (t) => {
    for (const v of signedVectors()) {
      if (v.kind === 'signature-must-fail') continue
      const { timestamp, nonce, encrypted } = partsOf(v)
      const token = vectorConfig(v.config).token
      t.equal(computeSignature(token, timestamp, nonce, encrypted), v.msg_signature, v.id)
    }
  })

  t.test('re-encrypting with the recovered random reproduces each ciphertext', async (t) => {
    for (const v of signedVectors()) {
      const { aesKey } = credentialsFor(v)
      const encrypted = cipherTextOf(v)
      const opened = decryptEnvelope(aesKey, encrypted)
      const again = encryptEnvelope(aesKey, opened.message, opened.receiveId, opened.random)
      t.equal(again, encrypted, v.id)
    }
  })

  t.test('V2 configured for another corp id is a receiveid mismatch', async (t) => {
    const elsewhere = { ...qdg, receiveId: OTHER_CORP }
    t.throws(() => openCallback(elsewhere, V2, NO_WINDOW), {
      name: 'WardenError',
      code: 'WARDEN_CRYPTO_RECEIVEID_MISMATCH',
    })
  })
})

t.test('P01 a callback for OTHER_CORP is a typed receiveid mismatch on GET and POST', async (t) => {
  const foreign = { ...testApp, receiveId: OTHER_CORP }
  const echo = sealMessage(foreign, '1616140317555161061', '1700000000', 'n0nce')
  const post = sealMessage(foreign, '<xml><MsgType>text</MsgType></xml>', '1700000000', 'n0nce')

  for (const sealed of [echo, post]) {
    const parts = { ...sealed, timestamp: '1700000000', nonce: 'n0nce' }
    t.throws(() => openCallback(testApp, parts, NO_WINDOW), {
      name: 'WardenError',
      code: 'WARDEN_CRYPTO_RECEIVEID_MISMATCH',
      statusCode: 403,
      details: { received: OTHER_CORP },
    })
  }
})

t.test('P02 a length field past the end or a too-short plaintext is a typed error', async (t) => {
  const random = Buffer.alloc(16, 0x61)
  const rest = Buffer.from(`hello${CORP_ID}`)
  const huge = encryptRaw(testApp.aesKey, padTo32(layOut(random, 0xfffffff0, rest)))
  const short = encryptRaw(testApp.aesKey, padTo32(Buffer.alloc(18, 0x61)))
  const oneOver = encryptRaw(testApp.aesKey, padTo32(layOut(random, rest.length + 1, rest)))

  t.equal(short.length, 44, 'an 18-byte plaintext pads to a single 32-byte block')
  for (const encrypted of [huge, short, oneOver]) {
    const wanted = { name: 'WardenError', code: 'WARDEN_CRYPTO_BAD_PLAINTEXT' }
    t.throws(() => decryptEnvelope(testApp.aesKey, encrypted), wanted)
    t.throws(() => openCallback(testApp, signedFor(testApp, encrypted), NO_WINDOW), wanted)
  }

  const exact = encryptRaw(testApp.aesKey, padTo32(layOut(random, rest.length, rest)))
  t.same(decryptEnvelope(testApp.aesKey, exact), {
    message: rest.toString(),
    receiveId: '',
    random,
  })
})

t.test('P03 plaintexts of 313, 320 and 333 bytes and every length residue decrypt', async (t) => {
  const overhead = 16 + 4 + CORP_ID.length
  const named = [313, 320, 333]
  const residues = Array.from({ length: 32 }, (_, residue) => 352 + residue)
  const pads = new Map<number, number | undefined>()

  for (const total of [...named, ...residues]) {
    const message = 'x'.repeat(total - overhead)
    // WeCom's side of the exchange, produced by the independent official package.
    const encrypted = wecomCrypto.encrypt(TEST_KEY, message, CORP_ID)
    const pad = decryptRaw(testApp.aesKey, encrypted).at(-1)
    pads.set(total, pad)

    t.equal(pad, 32 - (total % 32), `${total} bytes carry a pad of 1..32`)
    t.equal(decryptEnvelope(testApp.aesKey, encrypted).message, message, `${total} bytes`)
  }
  t.same(
    named.map((total) => pads.get(total)),
    [7, 32, 19],
    'the pads named in the case',
  )
})

t.test('P04 encryption adds exactly one pad of 1..32 bytes for every residue', async (t) => {
  const random = Buffer.from('0123456789abcdef')
  for (let residue = 0; residue < 32; residue++) {
    const message = `<xml>${'r'.repeat(300 + residue)}</xml>`
    const total = 20 + Buffer.byteLength(message) + CORP_ID.length
    const encrypted = encryptEnvelope(testApp.aesKey, message, CORP_ID, random)
    const padded = decryptRaw(testApp.aesKey, encrypted)
    const pad = padded.at(-1) ?? 0

    t.ok(pad >= 1 && pad <= 32, `residue ${total % 32}: pad ${pad}`)
    t.equal(padded.length, total + pad, 'the pad is the only thing added')
    t.ok(
      padded.subarray(total).every((byte) => byte === pad),
      'every pad byte is the pad length',
    )
    t.equal(encrypted, wecomCrypto.encrypt(TEST_KEY, message, CORP_ID, random), 'as WeCom pads')
    t.equal(decryptEnvelope(testApp.aesKey, encrypted).message, message)
  }
})

t.test('P05 message lengths are counted in UTF-8 bytes', async (t) => {
  for (const content of ['你好', '👍']) {
    const message = `<xml><Content><![CDATA[${content}]]></Content></xml>`
    const encrypted = encryptEnvelope(testApp.aesKey, message, CORP_ID)
    const lengthField = decryptRaw(testApp.aesKey, encrypted).readUInt32BE(16)

    t.equal(lengthField, Buffer.byteLength(message, 'utf8'), `${content} counted in bytes`)
    t.not(lengthField, message.length, `${content} is not counted in UTF-16 units`)
    t.equal(decryptEnvelope(testApp.aesKey, encrypted).message, message)
    t.same(wecomCrypto.decrypt(TEST_KEY, encrypted).id, CORP_ID, 'the official package agrees')
  }
})

t.test('P06 strips exactly the last N bytes, not every byte equal to the pad', async (t) => {
  const receiveId = 'ww0000000000000000ab'
  const twelve = encryptEnvelope(testApp.aesKey, 'hello world!', receiveId)
  const padded = decryptRaw(testApp.aesKey, twelve)
  t.equal(padded.at(-1), 12, 'pad 12 ...')
  t.equal(padded[19], 12, '... is also the last byte of the length field')
  t.same(decryptEnvelope(testApp.aesKey, twelve), {
    message: 'hello world!',
    receiveId,
    random: padded.subarray(0, 16),
  })

  const formFeeds = `${'x'.repeat(30)}\x0c\x0c`
  const encrypted = encryptEnvelope(testApp.aesKey, formFeeds, '')
  t.equal(decryptRaw(testApp.aesKey, encrypted).at(-1), 12, 'the message ends in pad-like bytes')
  t.same(decryptEnvelope(testApp.aesKey, encrypted).message, formFeeds)
})

t.test('P07 parseEncodingAesKey refuses a 42-char key and a key with a newline', async (t) => {
  t.equal(parseEncodingAesKey(TEST_KEY).length, 32)
  const bad = [
    TEST_KEY.slice(0, 42),
    `${TEST_KEY}\n`,
    `${TEST_KEY} `,
    `${TEST_KEY}=`,
    `${TEST_KEY.slice(0, 42)}+`,
    `${TEST_KEY.slice(0, 42)}-`,
    '',
  ]
  for (const key of bad) {
    const err = t.throws(() => parseEncodingAesKey(key), { code: 'WARDEN_CRYPTO_BAD_AES_KEY' })
    const logged = JSON.stringify({ message: (err as Error).message, ...(err as object) })
    t.notOk(logged.includes(TEST_KEY.slice(0, 20)), 'the key never reaches the error')
  }
})

t.test('P09 rejects a callback signed over three values instead of four', async (t) => {
  const sha1 = (parts: string[]) => createHash('sha1').update(parts.join('')).digest('hex')
  const overThree = sha1([qdg.token, V2.timestamp, V2.nonce].sort())
  const unsorted = sha1([qdg.token, V2.timestamp, V2.nonce, V2.encrypted])
  const wrong = [overThree, unsorted, V2.signature.toUpperCase(), V2.signature.slice(0, 39), ' ']

  for (const signature of wrong) {
    t.throws(() => openCallback(qdg, { ...V2, signature }, NO_WINDOW), {
      name: 'WardenError',
      code: 'WARDEN_CRYPTO_BAD_SIGNATURE',
    })
  }
  t.equal(openCallback(qdg, V2, NO_WINDOW), V2_PLAINTEXT, 'the four-value signature opens')
})

t.test('P11 a callback replayed 72 h later is refused by the timestamp window', async (t) => {
  const sent = Number(V2.timestamp)
  const window = (nowSeconds: number) => ({ maxAgeSeconds: 300, nowSeconds })
  const stale = { name: 'WardenError', code: 'WARDEN_CALLBACK_STALE_TIMESTAMP' }

  t.throws(() => openCallback(qdg, V2, window(sent + 72 * 3600)), stale, 'replayed 72 h later')
  t.throws(() => openCallback(qdg, V2, window(sent - 72 * 3600)), stale, 'dated 72 h ahead')
  t.throws(() => openCallback(qdg, V2, window(sent + 301)), stale, 'one second past the window')
  t.equal(openCallback(qdg, V2, window(sent + 300)), V2_PLAINTEXT, 'at the edge of the window')
  t.equal(openCallback(qdg, V2, window(sent - 300)), V2_PLAINTEXT, 'at the future edge')
  t.equal(openCallback(qdg, V2, { maxAgeSeconds: 0, nowSeconds: sent + 72 * 3600 }), V2_PLAINTEXT)

  for (const maxAgeSeconds of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => openCallback(qdg, V2, { maxAgeSeconds }), { code: 'WARDEN_CONFIG_INVALID' })
  }

  const forged = { ...V2, signature: '0'.repeat(40) }
  t.throws(() => openCallback(qdg, forged, window(sent + 72 * 3600)), stale, 'checked first')
})

t.test('P22 a callback for app A does not open with app B credentials', async (t) => {
  const appA = credentialsOf({ token: 'tokenA', encodingAESKey: TEST_KEY, corpId: CORP_ID })
  const appB = credentialsOf({ ...vectorConfig('QDG6eK'), token: 'tokenB', corpId: CORP_ID })
  const sealed = sealMessage(appA, '<xml><MsgType>text</MsgType></xml>', '1700000000', 'n0nce')
  const parts = { ...sealed, timestamp: '1700000000', nonce: 'n0nce' }

  t.equal(openCallback(appA, parts, NO_WINDOW), '<xml><MsgType>text</MsgType></xml>')
  t.throws(() => openCallback(appB, parts, NO_WINDOW), { code: 'WARDEN_CRYPTO_BAD_SIGNATURE' })

  const sameToken = { ...appB, token: appA.token }
  const err = t.throws(() => openCallback(sameToken, parts, NO_WINDOW), { name: 'WardenError' })
  const code = String((err as { code?: string }).code)
  t.ok(['WARDEN_CRYPTO_DECRYPT_FAILED', 'WARDEN_CRYPTO_BAD_PLAINTEXT'].includes(code), code)

  const sameKey = { ...appA, receiveId: OTHER_CORP }
  t.throws(() => openCallback(sameKey, parts, NO_WINDOW), {
    code: 'WARDEN_CRYPTO_RECEIVEID_MISMATCH',
  })
})

t.test('a request with an absent part or a non-digit timestamp is malformed', async (t) => {
  const malformed = { name: 'WardenError', code: 'WARDEN_CALLBACK_MISSING_PARAMS' }
  for (const name of ['signature', 'timestamp', 'nonce', 'encrypted'] as const) {
    t.throws(() => openCallback(qdg, { ...V2, [name]: '' }, NO_WINDOW), malformed, `no ${name}`)
    const absent = { ...V2, [name]: undefined } as unknown as SignedParts
    t.throws(() => openCallback(qdg, absent, NO_WINDOW), malformed, `${name} undefined`)
  }
  for (const timestamp of ['1409659813.5', '-1409659813', ' 1409659813', '1e9', '1'.repeat(21)]) {
    t.throws(() => openCallback(qdg, { ...V2, timestamp }, NO_WINDOW), malformed, timestamp)
  }
})

t.test('the envelope refuses keys and randoms of the wrong size', async (t) => {
  const shortKey = Buffer.alloc(16)
  t.throws(() => decryptEnvelope(shortKey, V2.encrypted), { code: 'WARDEN_CRYPTO_BAD_AES_KEY' })
  t.throws(() => encryptEnvelope(shortKey, 'x', CORP_ID), { code: 'WARDEN_CRYPTO_BAD_AES_KEY' })
  t.throws(() => encryptEnvelope(testApp.aesKey, 'x', CORP_ID, Buffer.alloc(15)), {
    code: 'WARDEN_CRYPTO_ENCRYPT_FAILED',
  })
})

t.test('decryption refuses base64 that is not canonical', async (t) => {
  // Fixed random prefixes, the first whose ciphertext has '+', '/' and '=' padding: deterministic.
  const valid = Array.from({ length: 256 }, (_, i) =>
    encryptEnvelope(testApp.aesKey, 'hello', CORP_ID, Buffer.alloc(16, i)),
  ).find((c) => c.includes('+') && c.includes('/') && c.endsWith('=')) as string
  t.ok(valid, 'a ciphertext with every base64 special character was found')
  const variants = {
    'URL-safe alphabet': valid.replaceAll('+', '-').replaceAll('/', '_'),
    'spaces for pluses': valid.replaceAll('+', ' '),
    'a line break': `${valid.slice(0, 20)}\n${valid.slice(20)}`,
    'missing padding': valid.replace(/=+$/, ''),
    'a trailing newline': `${valid}\n`,
  }
  for (const [name, encrypted] of Object.entries(variants)) {
    t.not(encrypted, valid, `${name} changes the text`)
    t.throws(
      () => decryptEnvelope(testApp.aesKey, encrypted),
      { code: 'WARDEN_CRYPTO_BAD_BASE64' },
      name,
    )
  }
  t.throws(() => decryptEnvelope(testApp.aesKey, ''), { code: 'WARDEN_CRYPTO_DECRYPT_FAILED' })
  t.equal(decryptEnvelope(testApp.aesKey, valid).message, 'hello')
})
