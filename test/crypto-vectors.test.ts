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

// Official WeCom sample values (shared/spec/vectors.json, sources in shared/spec/wecom.md §2).
const QDG6EK = {
  token: 'QDG6eK',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
}
const HJQCU3 = {
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  encodingAesKey: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  corpId: 'ww1436e0e65a779aee',
}

const V1 = {
  signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  encrypted: [
    'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvna',
    'qQ==',
  ].join(''),
}
const V1_QUERY = [
  'msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780',
  '&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO',
  '%2BFZXvnaqQ%3D%3D',
].join('')

const V2 = {
  signature: '477715d11cdb4164915debcba66cb864d751f3e6',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypted: [
    'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3',
    'QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48',
    'kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izo',
    'un1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUa',
    'x5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl',
    '/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
  ].join(''),
}
const V2_PLAINTEXT = [
  '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>',
  '<FromUserName><![CDATA[mycreate]]></FromUserName>',
  '<CreateTime>1409659813</CreateTime>',
  '<MsgType><![CDATA[text]]></MsgType>',
  '<Content><![CDATA[hello]]></Content>',
  '<MsgId>4561255354251345929</MsgId>',
  '<AgentID>218</AgentID>',
  '</xml>',
].join('\n')

const V3 = {
  signature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
  timestamp: '1476416373',
  nonce: '47744683',
  encrypted: [
    'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVH',
    'yA==',
  ].join(''),
}

const V4 = {
  signature: '0c3914025cb4b4d68103f6bfc8db550f79dcf48e',
  timestamp: '1476422779',
  nonce: '1597212914',
  encrypted: [
    'Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3N',
    'yeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0s',
    'qfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZU',
    'C2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49H',
    'KYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+',
  ].join(''),
}
const V4_PLAINTEXT = [
  '<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>',
  '<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>',
  '<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>',
].join('')

const V6 = {
  signature: '0623cbc5a8cbee5bcc137c70de99575366fc2af3',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypted: [
    'CZWs4CWRpI4VolQlvn4dlEC1alN2MUEY2VklGehgBVLBrlVF7SyT+SV+Toj43l4ayJ9UMGKphktKKmP7B2j/',
    'P1ey67XB8PBgS7Wr5/8+w/yWriZv3Vmoo/MH3/1HsIWZrPQ3N2mJrelStIfI2Y8kLKXA7EhfZgZX4o+ffdkZ',
    'DM76SEl79Ib9mw7TGjZ9Aw/x/A2VjNbV1E8BtEbRxYYcQippYNw7hr8sFfa3nW1xLdxokt8QkRX83vK3DFP2',
    'F6TQFPL2Tu98UwhcUpPvdJBuu1/yiOQIScppV3eOuLWEsko=',
  ].join(''),
}
const V6_PLAINTEXT = [
  '{"ToUserName":"wx5823bf96d3bd56c7","FromUserName":"mycreate","CreateTime": 1409659813,',
  '"MsgType":"text","Content":"hello","MsgId":4561255354251345929,"AgentID": 218}',
].join('')

const V6B = {
  signature: '477715d11cdb4164915debcba66cb864d751f3e6',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypted: [
    'CZWs4CWRpI4VolQlvn4dlPBlXke6+HgmuI7p0LueFp1fKH40TNL+YHWJZwqIiYV+3kTrhdNU7fZwc+PmtgBv',
    'xSczkFeRz+oaVSsomrrtP2Z91LE313djjbWujqInRT+7ChGbCeo7ZzszByf8xnDSunPBxRX1MfX3kAxpKq7d',
    'qduW1kpMAx8O8xUzZ9oC0TLuZchbpxaml4epzGfF21O+zyXDwTxbCEiO0E87mChtzuh/VPlznXYbfqVrnyLN',
    'Z5pr',
  ].join(''),
}

const D1 = {
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  receiveId: 'wxb11529c136998cb6',
  random: Buffer.from('aaaabbbbccccdddd', 'ascii'),
  message: '我是中文abcd123',
  encrypted: [
    'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVO',
    'fg==',
  ].join(''),
}

// Placeholders from shared/cases/pipeline.md; the test key is arbitrary.
const CORP_ID = 'ww0000000000000000'
const OTHER_CORP = 'ww1111111111111111'
const TEST_KEY = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR'
const NO_WINDOW = { maxAgeSeconds: 0 }

function credentialsOf(config: { token: string; encodingAesKey: string; corpId: string }) {
  const aesKey = parseEncodingAesKey(config.encodingAesKey)
  return { token: config.token, aesKey, receiveId: config.corpId } satisfies CallbackCredentials
}

const qdg = credentialsOf(QDG6EK)
const hjq = credentialsOf(HJQCU3)
const testApp = credentialsOf({ token: 'testtoken', encodingAesKey: TEST_KEY, corpId: CORP_ID })

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
      const echostr = new URLSearchParams(V1_QUERY).get('echostr')
      t.equal(echostr, V1.encrypted, 'the query value is URL-decoded exactly once')
      t.equal(openCallback(qdg, V1, NO_WINDOW), '1616140317555161061')
    },
  )

  t.test('V2 opens to the exact plaintext although its pad is 30 bytes', async (t) => {
    const padded = decryptRaw(qdg.aesKey, V2.encrypted)
    t.equal(padded.at(-1), 30, 'the vector really carries a pad above 16')
    t.equal(openCallback(qdg, V2, NO_WINDOW), V2_PLAINTEXT)
  })

  t.test('V3 verifies the URL signature of the second configuration', async (t) => {
    t.equal(openCallback(hjq, V3, NO_WINDOW), '1288432023552776189')
  })

  t.test('V4 opens to plaintext without CDATA and with UTF-8 Chinese', async (t) => {
    const message = openCallback(hjq, V4, NO_WINDOW)
    t.equal(message, V4_PLAINTEXT)
    t.ok(message.includes('<Content>你好</Content>'))
  })

  t.test('V6 opens a JSON plaintext and its MsgId survives as a string', async (t) => {
    const message = openCallback(qdg, V6, NO_WINDOW)
    t.equal(message, V6_PLAINTEXT)
    t.equal(/"MsgId":([0-9]+)/.exec(message)?.[1], '4561255354251345929')
    t.not(String(JSON.parse(message).MsgId), '4561255354251345929', 'plain JSON.parse loses it')
  })

  t.test('V6b is rejected for its signature although it decrypts', async (t) => {
    t.throws(() => openCallback(qdg, V6B, NO_WINDOW), { code: 'WARDEN_CRYPTO_BAD_SIGNATURE' })
    t.equal(decryptEnvelope(qdg.aesKey, V6B.encrypted).receiveId, QDG6EK.corpId)
    const { token } = qdg
    const correct = computeSignature(token, V6B.timestamp, V6B.nonce, V6B.encrypted)
    t.equal(correct, '42fb1a3b955400763e49117ce946c6fe9fdb3271')
  })

  t.test('D1 encrypts to the exact official ciphertext with a fixed random', async (t) => {
    const aesKey = parseEncodingAesKey(D1.encodingAesKey)
    t.equal(encryptEnvelope(aesKey, D1.message, D1.receiveId, D1.random), D1.encrypted)

    const creds = { token: 'pamtest', aesKey, receiveId: D1.receiveId }
    const sealed = sealMessage(creds, D1.message, '1409304348', 'xxxxxx', D1.random)
    t.same(sealed, {
      encrypted: D1.encrypted,
      signature: '82c962d39941aa48552f90ef55aa323dc620cc10',
    })
  })

  t.test('every signed vector matches the computed signature', async (t) => {
    for (const [creds, parts] of [
      [qdg, V1],
      [qdg, V2],
      [hjq, V3],
      [hjq, V4],
      [qdg, V6],
    ] as const) {
      const { timestamp, nonce, encrypted } = parts
      t.equal(computeSignature(creds.token, timestamp, nonce, encrypted), parts.signature)
    }
  })

  t.test('re-encrypting with the recovered random reproduces each ciphertext', async (t) => {
    for (const [creds, parts] of [
      [qdg, V1],
      [qdg, V2],
      [hjq, V3],
      [hjq, V4],
      [qdg, V6],
    ] as const) {
      const opened = decryptEnvelope(creds.aesKey, parts.encrypted)
      const again = encryptEnvelope(creds.aesKey, opened.message, opened.receiveId, opened.random)
      t.equal(again, parts.encrypted)
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
  const appA = credentialsOf({ token: 'tokenA', encodingAesKey: TEST_KEY, corpId: CORP_ID })
  const appB = credentialsOf({ ...QDG6EK, token: 'tokenB', corpId: CORP_ID })
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
  const valid = encryptEnvelope(testApp.aesKey, 'hello', CORP_ID)
  const variants = {
    'URL-safe alphabet': valid.replaceAll('+', '-').replaceAll('/', '_'),
    'spaces for pluses': valid.replaceAll('+', ' '),
    'a line break': `${valid.slice(0, 20)}\n${valid.slice(20)}`,
    'missing padding': valid.replace(/=+$/, ''),
    'a trailing newline': `${valid}\n`,
  }
  for (const [name, encrypted] of Object.entries(variants)) {
    if (encrypted === valid) continue
    t.throws(
      () => decryptEnvelope(testApp.aesKey, encrypted),
      { code: 'WARDEN_CRYPTO_BAD_BASE64' },
      name,
    )
  }
  t.throws(() => decryptEnvelope(testApp.aesKey, ''), { code: 'WARDEN_CRYPTO_DECRYPT_FAILED' })
  t.equal(decryptEnvelope(testApp.aesKey, valid).message, 'hello')
})
