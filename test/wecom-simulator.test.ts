import { createServer, type IncomingHttpHeaders } from 'node:http'
import { decrypt, getSignature } from '@wecom/crypto'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import t, { type Test } from 'tap'
import {
  buildMessageCallback,
  buildUrlVerification,
  type CallbackAppConfig,
  deliverCallback,
  eventXml,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { type SimulatorOptions, startWecomSimulator } from '../src/simulator/wecom-simulator.js'
import { type SignedVector, vector, vectorConfig } from './helpers/vectors.js'

const CORP_ID = 'ww0000000000000000'
const AGENT_ID = '1000002'
const SECRET = 'Sim-Secret-9fK2xQ7hLmZr4TbVw3NpY8cD'
const START_MS = Date.UTC(2026, 11, 4, 9, 0, 0)

const QDG6EK = vectorConfig('QDG6eK')
/** Official sample configuration "QDG6eK"; AgentID 218 comes from the sample's V2 body. */
const OFFICIAL: CallbackAppConfig = {
  token: QDG6EK.token,
  encodingAesKey: QDG6EK.encodingAESKey,
  corpId: QDG6EK.corpId,
  agentId: '218',
}

type Json = Record<string, unknown>

async function startSim(t: Test, overrides: Partial<SimulatorOptions> = {}) {
  const clock = { ms: START_MS }
  const sim = await startWecomSimulator({
    apps: [{ corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET }],
    users: ['user_a', 'User_B'],
    nowMs: () => clock.ms,
    ...overrides,
  })
  t.teardown(() => sim.close())

  const getToken = async (query = `corpid=${CORP_ID}&corpsecret=${SECRET}`) =>
    (await (await fetch(`${sim.url}/cgi-bin/gettoken?${query}`)).json()) as Json
  const send = async (token: unknown, body: Json | string) => {
    const url = `${sim.url}/cgi-bin/message/send?access_token=${String(token)}`
    const payload = typeof body === 'string' ? body : JSON.stringify(body)
    const response = await fetch(url, { method: 'POST', body: payload })
    // WeCom answers HTTP 200 even for errors; anything else fails the test here.
    if (response.status !== 200) throw new Error(`simulator answered HTTP ${response.status}`)
    return (await response.json()) as Json
  }
  return { sim, clock, getToken, send }
}

/** A vector's timestamp and nonce, with the random prefix recovered by decrypting it. */
function stampOf(v: SignedVector, random: string) {
  return { timestampSeconds: Number(v.timestamp), nonce: v.nonce, random: Buffer.from(random) }
}

function textBody(touser: string, content: string, extra: Json = {}): Json {
  return { touser, msgtype: 'text', agentid: Number(AGENT_ID), text: { content }, ...extra }
}

t.test('gettoken answers with WeCom codes for each kind of bad request', async (t) => {
  const { getToken } = await startSim(t)

  const ok = await getToken()
  t.match(ok, { errcode: 0, errmsg: 'ok', access_token: String, expires_in: 7200 })

  const codes = [
    (await getToken(`corpsecret=${SECRET}`)).errcode,
    (await getToken(`corpid=${CORP_ID}`)).errcode,
    (await getToken(`corpid=ww1111111111111111&corpsecret=${SECRET}`)).errcode,
    (await getToken(`corpid=${CORP_ID}&corpsecret=wrong`)).errcode,
  ]
  t.same(codes, [41002, 41004, 40013, 40001])
  t.match((await getToken(`corpid=${CORP_ID}&corpsecret=wrong`)).errmsg, /more info at .*e=40001/)
})

t.test('a token is reused within its lifetime and expires on the injected clock', async (t) => {
  const { clock, getToken, send } = await startSim(t, { tokenTtlSeconds: 60 })
  const first = await getToken()

  clock.ms += 10_000
  t.match(await getToken(), { access_token: first.access_token, expires_in: 50 })

  clock.ms += 49_000
  t.equal((await send(first.access_token, textBody('user_a', 'in time'))).errcode, 0)

  clock.ms += 1_000
  t.equal((await send(first.access_token, textBody('user_a', 'too late'))).errcode, 42001)

  const second = await getToken()
  t.not(second.access_token, first.access_token)
  t.equal(second.expires_in, 60)
})

t.test('message/send rejects bad tokens and bad bodies with WeCom errcodes', async (t) => {
  const { sim, getToken, send } = await startSim(t)
  const { access_token: token } = await getToken()

  const codes = [
    (await send('', textBody('user_a', 'x'))).errcode,
    (await send('made-up', textBody('user_a', 'x'))).errcode,
    (await send(token, '{not json')).errcode,
    (await send(token, textBody('user_a', 'x', { agentid: 1000003 }))).errcode,
    (await send(token, textBody('user_a', 'x', { msgtype: 'image' }))).errcode,
    (await send(token, textBody('user_a', ''))).errcode,
  ]
  t.same(codes, [41001, 40014, 47001, 40056, 40008, 44004])

  sim.revokeAllTokens()
  t.equal((await send(token, textBody('user_a', 'x'))).errcode, 40014)
  t.same(
    sim.calls('message/send').map((call) => call.errcode),
    [...codes, 40014],
  )
})

t.test('unknown members come back lower-cased, and all unknown is 81013', async (t) => {
  const { sim, getToken, send } = await startSim(t)
  const { access_token: token } = await getToken()

  const partial = await send(token, textBody('USER_A|Stranger|user_b', 'hi'))
  t.match(partial, { errcode: 0, invaliduser: 'stranger', msgid: String })
  t.same(
    sim.delivered().map((m) => m.toUser),
    ['user_a', 'User_B'],
  )

  const none = await send(token, textBody('Ghost|nobody', 'hi'))
  t.match(none, { errcode: 81013, invaliduser: 'ghost|nobody' })
  t.equal(sim.delivered().length, 2)
})

t.test('the duplicate check delivers identical content once per interval', async (t) => {
  const { sim, clock, getToken, send } = await startSim(t)
  const { access_token: token } = await getToken()
  const checked = { enable_duplicate_check: 1, duplicate_check_interval: 60 }

  t.equal((await send(token, textBody('user_a', 'same', checked))).errcode, 0)
  clock.ms += 59_000
  t.equal((await send(token, textBody('user_a', 'same', checked))).errcode, 0)
  t.equal((await send(token, textBody('user_a', 'different', checked))).errcode, 0)
  t.equal((await send(token, textBody('user_b', 'same', checked))).errcode, 0)
  t.same(
    sim.delivered().map((m) => [m.toUser, m.content]),
    [
      ['user_a', 'same'],
      ['user_a', 'different'],
      ['User_B', 'same'],
    ],
  )

  clock.ms += 2_000
  await send(token, textBody('user_a', 'same', checked))
  await send(token, textBody('user_b', 'same'))
  t.equal(sim.delivered('user_a').length, 3, 'the interval has passed')
  t.equal(sim.delivered('user_b').length, 2, 'without the check a repeat is delivered')
})

t.test('the 31st message to one member within a minute answers 45009', async (t) => {
  const { sim, clock, getToken, send } = await startSim(t)
  const { access_token: token } = await getToken()
  for (let i = 0; i < 30; i++) {
    t.equal((await send(token, textBody('user_a', `n${i}`))).errcode, 0)
    clock.ms += 1_000
  }

  t.equal((await send(token, textBody('user_a|user_b', 'over'))).errcode, 45009)
  t.equal(sim.delivered('user_b').length, 0, 'a refused call delivers to nobody')

  clock.ms += 31_000
  t.equal((await send(token, textBody('user_a', 'window slid'))).errcode, 0)
})

t.test('text longer than 2048 bytes is truncated on a code point', async (t) => {
  const { sim, getToken, send } = await startSim(t)
  const { access_token: token } = await getToken()
  const content = `${'x'.repeat(2047)}你好`

  await send(token, textBody('user_a', content))

  t.equal(sim.delivered('user_a')[0]?.content, 'x'.repeat(2047))
})

t.test('failNext answers once, the inbox lists deliveries, calls keep errcodes', async (t) => {
  const { sim, getToken, send } = await startSim(t)
  const { access_token: token } = await getToken()
  sim.failNext('message/send', { errcode: 60020, errmsg: 'not allow to access from your ip' })

  const injected = await send(token, textBody('user_a', 'first'))
  t.match(injected, { errcode: 60020, errmsg: /^not allow .*from ip: 127\.0\.0\.1/ })
  t.equal((await send(token, textBody('user_a', 'second'))).errcode, 0)

  const inbox = (await (await fetch(`${sim.url}/_sim/inbox?user=USER_A`)).json()) as Json
  t.match(inbox, { messages: [{ toUser: 'user_a', agentId: AGENT_ID, content: 'second' }] })
  t.same(
    sim.calls().map((call) => [call.path, call.errcode]),
    [
      ['/cgi-bin/gettoken', 0],
      ['/cgi-bin/message/send', 60020],
      ['/cgi-bin/message/send', 0],
    ],
  )
})

t.test('a rotated secret refuses the old secret and revokes its tokens', async (t) => {
  const { sim, getToken, send } = await startSim(t)
  const { access_token: old } = await getToken()

  sim.rotateSecret(CORP_ID, AGENT_ID, 'New-Secret-1')

  t.equal((await send(old, textBody('user_a', 'x'))).errcode, 40014)
  t.equal((await getToken()).errcode, 40001)
  t.equal((await getToken(`corpid=${CORP_ID}&corpsecret=New-Secret-1`)).errcode, 0)
  t.throws(() => sim.rotateSecret(CORP_ID, '999', 'x'), { code: 'WARDEN_NOT_FOUND' })
})

t.test('a built callback opens with @wecom/crypto and its signature verifies', async (t) => {
  const app = { ...OFFICIAL, corpId: CORP_ID, agentId: AGENT_ID }
  const plaintext = textMessageXml({
    corpId: CORP_ID,
    fromUser: 'user_a',
    content: '转账 ]]> <b>&amp;',
    msgId: '4561255354251345929',
    agentId: AGENT_ID,
    createTime: 1764838800,
  })

  const built = buildMessageCallback(app, plaintext)

  const query = new URLSearchParams(built.query)
  t.equal(query.get('timestamp'), built.timestamp)
  t.equal(query.get('nonce'), built.nonce)
  t.equal(
    query.get('msg_signature'),
    getSignature(app.token, built.timestamp, built.nonce, built.encrypted),
  )
  const envelope = new XMLParser({ parseTagValue: false }).parse(built.body)
  t.same(envelope.xml, { ToUserName: CORP_ID, Encrypt: built.encrypted, AgentID: AGENT_ID })

  const opened = decrypt(app.encodingAesKey, built.encrypted)
  t.same([opened.message, opened.id], [plaintext, CORP_ID])
  t.equal(XMLValidator.validate(opened.message), true, 'a ]]> in content keeps the XML valid')
  const message = new XMLParser({ parseTagValue: false, processEntities: false }).parse(plaintext)
  t.match(message.xml, { Content: '转账 ]]> <b>&amp;', MsgId: '4561255354251345929' })
})

t.test('with the official random the builder reproduces vectors V1 and V2 exactly', async (t) => {
  const v1 = vector('V1', 'url-verify')
  const v2 = vector('V2', 'message-xml')
  const v1Stamp = stampOf(v1, 'c41b64491c2468d0')
  const v2Stamp = stampOf(v2, '0960688932c47ef1')

  const verification = buildUrlVerification(OFFICIAL, v1.expect_body, v1Stamp)
  t.equal(verification.query, v1.query_raw)
  t.equal(verification.echostr, v1.echostr)

  const callback = buildMessageCallback(OFFICIAL, v2.expect_plaintext, v2Stamp)
  t.equal(callback.signature, v2.msg_signature)
  t.equal(callback.encrypted, v2.encrypt)
  t.equal(callback.body, v2.body, 'the POST body as the official sample prints it')
})

t.test('eventXml writes extra fields in CDATA and refuses a bad field name', async (t) => {
  const xml = eventXml({
    corpId: CORP_ID,
    fromUser: 'sys',
    event: 'change_contact',
    agentId: AGENT_ID,
    createTime: 1764838800,
    extra: { ChangeType: 'update_user', UserID: 'a]]>b' },
  })
  t.equal(XMLValidator.validate(xml), true)
  const parsed = new XMLParser({ parseTagValue: false }).parse(xml)
  t.match(parsed.xml, { MsgType: 'event', Event: 'change_contact', UserID: 'a]]>b' })

  const bad = { corpId: CORP_ID, fromUser: 'sys', event: 'x', agentId: AGENT_ID, createTime: 1 }
  t.throws(() => eventXml({ ...bad, extra: { 'a b': 'x' } }), { code: 'WARDEN_INTERNAL' })
})

t.test('deliverCallback POSTs the envelope as text/xml to /wecom/callback', async (t) => {
  const seen: { url?: string; headers?: IncomingHttpHeaders; body?: string } = {}
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      Object.assign(seen, { url: request.url, headers: request.headers, body })
      response.end('')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const built = buildMessageCallback(OFFICIAL, '<xml><MsgType>text</MsgType></xml>')

  const result = await deliverCallback(`http://127.0.0.1:${port}/`, built)

  t.same([result.status, result.body], [200, ''])
  t.ok(result.ms >= 0)
  t.equal(seen.url, `/wecom/callback?${built.query}`)
  t.equal(seen.headers?.['content-type'], 'text/xml')
  t.equal(seen.body, built.body)
})

t.test('user/get answers members and WeCom errcodes for the rest', async (t) => {
  const { sim, getToken } = await startSim(t)
  const { access_token: token } = await getToken()
  sim.addUser({ userid: 'Li_Lei', name: '李雷', department: [7], mainDepartment: 7 })
  const get = async (query: string) =>
    (await (await fetch(`${sim.url}/cgi-bin/user/get?${query}`)).json()) as Json

  const seeded = await get(`access_token=${token}&userid=zhangsan`)
  const listed = await get(`access_token=${token}&userid=user_a`)
  const added = await get(`access_token=${token}&userid=li_lei`)
  const codes = [
    (await get(`access_token=${token}`)).errcode,
    (await get(`access_token=${token}&userid=nobody`)).errcode,
    (await get(`access_token=${token}&userid=wangwu`)).errcode,
    (await get('access_token=made-up&userid=zhangsan')).errcode,
    (await get('userid=zhangsan')).errcode,
  ]

  t.match(seeded, { errcode: 0, userid: 'zhangsan', name: '张三', department: [1, 2] })
  t.match(listed, { errcode: 0, userid: 'user_a', name: 'user_a', department: [1] })
  t.match(added, { errcode: 0, userid: 'Li_Lei', name: '李雷', main_department: 7 })
  t.notOk('mobile' in seeded || 'email' in seeded || 'avatar' in seeded)
  t.same(codes, [41009, 60111, 60011, 40014, 41001])
})

t.test('media/get serves the bytes with type and filename until three days pass', async (t) => {
  const { sim, clock, getToken } = await startSim(t)
  let { access_token: token } = await getToken()
  const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10])
  const mediaId = sim.addMedia(bytes, { contentType: 'image/jpeg', filename: '照片 1.jpg' })
  const get = (id: string) =>
    fetch(`${sim.url}/cgi-bin/media/get?access_token=${token}&media_id=${id}`)

  const served = await get(mediaId)
  const body = Buffer.from(await served.arrayBuffer())
  const unknown = (await (await get('no-such-id')).json()) as Json
  clock.ms += 3 * 24 * 3600 * 1000 - 1
  token = (await getToken()).access_token
  const lastMoment = await get(mediaId)
  clock.ms += 1
  const expired = (await (await get(mediaId)).json()) as Json

  t.equal(served.headers.get('content-type'), 'image/jpeg')
  t.equal(
    served.headers.get('content-disposition'),
    `attachment; filename="__ 1.jpg"; filename*=UTF-8''%E7%85%A7%E7%89%87%201.jpg`,
  )
  t.ok(body.equals(bytes))
  t.equal(lastMoment.headers.get('content-type'), 'image/jpeg')
  t.same([unknown.errcode, expired.errcode], [40007, 40007])
  t.same(
    sim.calls('media/get').map((call) => call.errcode),
    [0, 40007, 0, 40007],
  )
})

t.test('delay holds answers back and closing the simulator cuts the wait', async (t) => {
  const { sim, getToken } = await startSim(t)
  const { access_token: token } = await getToken()
  sim.delay('user/get', 60_000)

  const pending = fetch(`${sim.url}/cgi-bin/user/get?access_token=${token}&userid=lisi`)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const answeredWhileDelayed = sim.calls('user/get').length
  await sim.close()
  const reply = (await (await pending).json()) as Json

  t.equal(answeredWhileDelayed, 0)
  t.match(reply, { errcode: 0, name: '李四' })
})
