import t from 'tap'
import {
  buildMessageCallback,
  buildUrlVerification,
  eventXml,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { type Harness, startHarness, TEST_APP } from './helpers/harness.js'
import { vector, vectorConfig } from './helpers/vectors.js'

const nowSeconds = () => Math.floor(Date.now() / 1000)

async function post(h: Harness, query: string, body: string, contentType = 'text/xml') {
  return h.app.inject({
    method: 'POST',
    url: `/wecom/callback?${query}`,
    headers: { 'content-type': contentType },
    payload: body,
  })
}

t.test('callback channel over app.inject', async (t) => {
  const h = await startHarness(t, {
    database: 'callback_http',
    config: { POLICY_FILE: 'test/fixtures/policy.yaml' },
  })
  const messages = h.app.warden.models.messages
  const text = (msgId: string, content = 'hello', fromUser = 'user_a') =>
    textMessageXml({
      corpId: TEST_APP.corpId,
      fromUser,
      content,
      msgId,
      agentId: TEST_APP.agentId,
      createTime: nowSeconds(),
    })

  t.test('P08 answers URL verification with exactly the plaintext', async (t) => {
    const echo = '1616140317555161061'
    const { query } = buildUrlVerification(h.callbackApp, echo)
    const res = await h.app.inject({ method: 'GET', url: `/wecom/callback?${query}` })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain/)
    t.equal(res.body, echo, 'no quotes, newline or BOM')
    t.equal(res.rawPayload.length, 19)
  })

  t.test('P08 accepts an echostr whose plus signs arrived unencoded', async (t) => {
    const built = buildUrlVerification(h.callbackApp, '1288432023552776189')
    const raw = built.query.replace(/echostr=[^&]*/, `echostr=${built.echostr}`)
    const res = await h.app.inject({ method: 'GET', url: `/wecom/callback?${raw}` })
    t.equal(res.statusCode, 200)
    t.equal(res.body, '1288432023552776189')
  })

  t.test('P01 a receiveid for another corp is a 403 with a typed code, GET and POST', async (t) => {
    const other = { ...h.callbackApp, corpId: 'ww1111111111111111' }
    const get = await h.app.inject({
      method: 'GET',
      url: `/wecom/callback?${buildUrlVerification(other, '123456').query}`,
    })
    t.equal(get.statusCode, 403)
    t.same(get.json(), { code: 'WARDEN_CRYPTO_RECEIVEID_MISMATCH', message: 'receive id mismatch' })
    const built = buildMessageCallback(other, text('8000000000000000001'))
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'WARDEN_CRYPTO_RECEIVEID_MISMATCH')
    t.equal(await messages.countDocuments({ msgId: '8000000000000000001' }), 0)
  })

  t.test('P09 a POST signed over three values instead of four is refused', async (t) => {
    const built = buildMessageCallback(h.callbackApp, text('8000000000000000002'))
    const { createHash } = await import('node:crypto')
    const three = createHash('sha1')
      .update([TEST_APP.token, built.timestamp, built.nonce].sort().join(''))
      .digest('hex')
    const query = new URLSearchParams({
      msg_signature: three,
      timestamp: built.timestamp,
      nonce: built.nonce,
    })
    const res = await post(h, query.toString(), built.body)
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'WARDEN_CRYPTO_BAD_SIGNATURE')
  })

  t.test('P10 scanners get a fast 4xx and cause no token fetch or mail', async (t) => {
    const bare = await h.app.inject({ method: 'GET', url: '/wecom/callback' })
    t.equal(bare.statusCode, 400)
    t.equal(bare.json().code, 'WARDEN_CALLBACK_MISSING_PARAMS')
    const hello = await h.app.inject({ method: 'POST', url: '/wecom/callback', payload: 'hello' })
    t.equal(hello.statusCode, 400)
    const signedHello = await post(
      h,
      'msg_signature=0000000000000000000000000000000000000000&timestamp=1&nonce=1',
      'hello',
    )
    t.equal(signedHello.statusCode, 400)
    t.equal(signedHello.json().code, 'WARDEN_PARSE_BAD_XML')
    t.same(h.sim.calls(), [], 'no WeCom API call')
    t.same(h.smtp.mails(), [], 'no mail')
  })

  t.test('P11 a captured callback replayed 72 hours later is refused', async (t) => {
    const xml = text('8000000000000000003')
    const old = buildMessageCallback(h.callbackApp, xml, {
      timestampSeconds: nowSeconds() - 72 * 3600,
    })
    const res = await post(h, old.query, old.body)
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'WARDEN_CALLBACK_STALE_TIMESTAMP')
    t.equal(await messages.countDocuments({ msgId: '8000000000000000003' }), 0)
  })

  t.test('P12 an envelope with a DTD is refused and its entity never expanded', async (t) => {
    const built = buildMessageCallback(h.callbackApp, text('8000000000000000004'))
    const evil =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>' +
      built.body.replace('<ToUserName>', '<ToUserName>&e;')
    const res = await post(h, built.query, evil)
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'WARDEN_PARSE_DTD_FORBIDDEN')
  })

  t.test('P12 a 50 MB body is cut off at the size cap', async (t) => {
    const res = await post(h, 'msg_signature=a&timestamp=1&nonce=1', 'x'.repeat(50 * 1024 * 1024))
    t.equal(res.statusCode, 413)
    t.equal(res.json().code, 'WARDEN_CALLBACK_BODY_TOO_LARGE')
  })

  t.test('P13 empty numeric fields are archived leniently', async (t) => {
    const xml =
      `<xml><ToUserName><![CDATA[${TEST_APP.corpId}]]></ToUserName>` +
      '<FromUserName><![CDATA[user_b]]></FromUserName><CreateTime></CreateTime>' +
      '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>' +
      '<MsgId>8000000000000000005</MsgId><AgentID><![CDATA[]]></AgentID></xml>'
    const built = buildMessageCallback(h.callbackApp, xml)
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 200)
    const doc = await messages.findOne({ msgId: '8000000000000000005' }).lean()
    t.equal(doc?.createTime, null)
    t.equal(doc?.agentId, null)
    t.equal(doc?.rawXml, xml)
  })

  t.test('P14 an unknown event type is archived and acknowledged with an empty body', async (t) => {
    const xml = eventXml({
      corpId: TEST_APP.corpId,
      fromUser: 'user_a',
      event: 'brand_new_event',
      agentId: TEST_APP.agentId,
      createTime: nowSeconds(),
    })
    const built = buildMessageCallback(h.callbackApp, xml)
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 200)
    t.equal(res.body, '')
    const doc = await messages.findOne({ event: 'brand_new_event' }).lean()
    t.equal(doc?.kind, 'event')
    t.match(doc?.msgId, /^evt-[0-9a-f]{64}$/)
  })

  t.test('P14 XML without a MsgType is archived as unknown', async (t) => {
    const xml = `<xml><ToUserName>${TEST_APP.corpId}</ToUserName><Foo>bar</Foo></xml>`
    const built = buildMessageCallback(h.callbackApp, xml)
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 200)
    const doc = await messages.findOne({ rawXml: xml }).lean()
    t.equal(doc?.kind, 'unknown')
  })

  t.test('a decrypted plaintext that is not XML is still archived', async (t) => {
    const plaintext = '{"msgtype":"text","text":{"content":"from a bot"}}'
    const built = buildMessageCallback(h.callbackApp, plaintext)
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 200)
    const doc = await messages.findOne({ rawXml: plaintext }).lean()
    t.equal(doc?.kind, 'unknown')
    t.match(doc?.msgId, /^raw-/)
  })

  t.test('an encrypted empty plaintext is archived, not refused', async (t) => {
    const built = buildMessageCallback(h.callbackApp, '')
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 200)
    const doc = await messages.findOne({ rawXml: '', kind: 'unknown' }).lean()
    t.ok(doc, 'stored as unknown with an empty raw text')
  })

  t.test('content with U+0000 is archived with its exact bytes in base64', async (t) => {
    const xml = text('8000000000000000011', 'nul\u0000inside')
    const built = buildMessageCallback(h.callbackApp, xml)
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 200)
    const doc = await messages.findOne({ msgId: '8000000000000000011' }).lean()
    t.equal(doc?.rawXmlEncoding, 'base64')
    t.equal(Buffer.from(doc?.rawXml ?? '', 'base64').toString('utf8'), xml, 'byte for byte')
    t.equal(doc?.content, 'nul\uFFFDinside', 'the derived content is storable')
  })

  t.test('character references to U+0000 and lone surrogates are archived', async (t) => {
    const xml = text('8000000000000000012', 'a&#0;b&#xD800;c').replace(
      /<Content>.*<\/Content>/,
      '<Content>a&#0;b&#xD800;c</Content>',
    )
    const built = buildMessageCallback(h.callbackApp, xml)
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 200)
    const doc = await messages.findOne({ msgId: '8000000000000000012' }).lean()
    t.equal(doc?.rawXml, xml)
    t.ok(doc?.content && !doc.content.includes('\u0000'), 'no NUL reaches the database')
  })

  t.test('element names with a dot or a dollar are archived', async (t) => {
    const dotted = text('8000000000000000013').replace('</xml>', '<a.b>1</a.b></xml>')
    const built = buildMessageCallback(h.callbackApp, dotted)
    t.equal((await post(h, built.query, built.body)).statusCode, 200)
    const doc = await messages.findOne({ msgId: '8000000000000000013' }).lean()
    t.equal(doc?.rawXml, dotted)
    t.equal(doc?.kind, 'message')
    // '$' cannot start an XML name: the plaintext is not XML, and is kept as unknown.
    const dollar = text('8000000000000000014').replace('</xml>', '<$x>2</$x></xml>')
    const second = buildMessageCallback(h.callbackApp, dollar)
    t.equal((await post(h, second.query, second.body)).statusCode, 200)
    t.equal((await messages.findOne({ rawXml: dollar }).lean())?.kind, 'unknown')
  })

  t.test('P15 two events in the same second that differ in one field are both kept', async (t) => {
    const at = nowSeconds()
    const change = (changeType: string) =>
      eventXml({
        corpId: TEST_APP.corpId,
        fromUser: 'sys',
        event: 'change_contact',
        agentId: TEST_APP.agentId,
        createTime: at,
        extra: { ChangeType: changeType, UserID: 'user_b' },
      })
    for (const type of ['update_user', 'delete_user']) {
      const built = buildMessageCallback(h.callbackApp, change(type))
      t.equal((await post(h, built.query, built.body)).statusCode, 200)
    }
    t.equal(await messages.countDocuments({ event: 'change_contact' }), 2)
  })

  t.test('P17 a message is answered with 200 and no passive reply', async (t) => {
    const built = buildMessageCallback(h.callbackApp, text('8000000000000000006', ''))
    const res = await post(h, built.query, built.body)
    t.equal(res.statusCode, 200)
    t.equal(res.rawPayload.length, 0)
  })

  t.test('a body without a content type is still read', async (t) => {
    const built = buildMessageCallback(h.callbackApp, text('8000000000000000007'))
    const res = await h.app.inject({
      method: 'POST',
      url: `/wecom/callback?${built.query}`,
      payload: Buffer.from(built.body),
      headers: { 'content-type': '' },
    })
    t.equal(res.statusCode, 200)
  })

  t.test('health and readiness answer', async (t) => {
    const live = await h.app.inject({ method: 'GET', url: '/healthz' })
    t.equal(live.statusCode, 200)
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' })
    t.equal(ready.statusCode, 200)
    t.same(ready.json(), { status: 'ready', database: 'up' })
  })

  t.test('a URL fastify cannot decode is refused in the catalogue shape', async (t) => {
    const res = await h.app.inject({ method: 'GET', url: '/wecom/%ZZ' })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'WARDEN_REQUEST_INVALID')
  })

  t.test('an unknown route is a catalogue 404', async (t) => {
    const res = await h.app.inject({ method: 'GET', url: '/nope' })
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'WARDEN_NOT_FOUND')
  })
})

t.test('the official V1 verification vector answers its published plaintext', async (t) => {
  const v1 = vector('V1', 'url-verify')
  const qdg = vectorConfig(v1.config)
  const h = await startHarness(t, {
    database: 'callback_v1',
    config: {
      WECOM_CORP_ID: qdg.corpId,
      WECOM_TOKEN: qdg.token,
      WECOM_ENCODING_AES_KEY: qdg.encodingAESKey,
      CALLBACK_MAX_AGE_SECONDS: 0,
      POLICY_FILE: 'test/fixtures/policy.yaml',
    },
  })
  const res = await h.app.inject({ method: 'GET', url: `/wecom/callback?${v1.query_raw}` })
  t.equal(res.statusCode, 200)
  t.equal(res.body, v1.expect_body)
})
