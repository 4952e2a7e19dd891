import t from 'tap'
import {
  buildMessageCallback,
  deliverCallback,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { startHarness, waitUntil } from './helpers/harness.js'
import { vector, vectorConfig } from './helpers/vectors.js'

const nowSeconds = () => Math.floor(Date.now() / 1000)

t.test('the official V2 callback is archived with its MsgId as an exact string', async (t) => {
  const v2 = vector('V2', 'message-xml')
  const qdg = vectorConfig(v2.config)
  const h = await startHarness(t, {
    database: 'e2e_v2',
    listen: true,
    config: {
      WECOM_CORP_ID: qdg.corpId,
      WECOM_AGENT_ID: '218',
      WECOM_TOKEN: qdg.token,
      WECOM_ENCODING_AES_KEY: qdg.encodingAESKey,
      CALLBACK_MAX_AGE_SECONDS: 0,
      POLICY_FILE: 'test/fixtures/policy.yaml',
    },
  })
  const query = new URLSearchParams({
    msg_signature: v2.msg_signature,
    timestamp: v2.timestamp,
    nonce: v2.nonce,
  })
  const response = await fetch(`${h.baseUrl}/wecom/callback?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: v2.body,
  })

  t.equal(response.status, 200)
  t.equal(await response.text(), '', 'acknowledged with an empty body')
  const stored = await h.app.warden.models.messages.find({}).lean()
  t.equal(stored.length, 1)
  t.equal(stored[0]?.msgId, '4561255354251345929')
  t.equal(stored[0]?.fromUser, 'mycreate')
  t.equal(stored[0]?.content, 'hello')
  t.equal(stored[0]?.msgType, 'text')
  t.equal(stored[0]?.rawXml, v2.expect_plaintext, 'the decrypted XML is kept byte for byte')
  t.equal(stored[0]?.createTime?.getTime(), 1409659813 * 1000)
})

t.test('a violating message yields one violation, one nudge and one email', async (t) => {
  const h = await startHarness(t, {
    database: 'e2e_violation',
    listen: true,
    config: { POLICY_FILE: 'test/fixtures/policy.yaml' },
  })
  const xml = textMessageXml({
    corpId: h.callbackApp.corpId,
    fromUser: 'zhangsan',
    content: '周末一起去赌博吧',
    msgId: '7000000000000000001',
    agentId: h.callbackApp.agentId,
    createTime: nowSeconds(),
  })
  const delivered = await deliverCallback(h.baseUrl, buildMessageCallback(h.callbackApp, xml))
  t.equal(delivered.status, 200)
  t.equal(delivered.body, '')

  const mails = await h.smtp.waitFor(1)
  const nudges = await waitUntil('the nudge', () => h.sim.delivered('zhangsan').length > 0)
  t.ok(nudges)

  const violations = await h.app.warden.models.violations.find({}).lean()
  t.equal(violations.length, 1)
  t.equal(violations[0]?.ruleId, 'no-gambling')
  t.equal(violations[0]?.matchedText, '赌博')
  t.same([violations[0]?.start, violations[0]?.end], [5, 7])
  t.equal(violations[0]?.msgId, '7000000000000000001')

  const nudge = h.sim.delivered('zhangsan')
  t.equal(nudge.length, 1)
  t.match(nudge[0]?.content, /no-gambling|赌博|gambl/i, 'the nudge names the rule')
  t.equal(mails.length, 1)
  t.same(mails[0]?.envelopeTo, ['compliance@example.com'])
  t.match(mails[0]?.parsed.subject, /no-gambling/)
  t.match(mails[0]?.parsed.text, /7000000000000000001/)

  const actions = await waitUntil('both actions recorded as sent', async () => {
    const rows = await h.app.warden.models.actions.find({ status: 'sent' }).lean()
    return rows.length === 2 ? rows : null
  })
  t.same(actions.map((a) => a.kind).sort(), ['escalate', 'nudge'])
})

t.test('the same callback delivered three times still yields one of each', async (t) => {
  const h = await startHarness(t, {
    database: 'e2e_retries',
    listen: true,
    config: { POLICY_FILE: 'test/fixtures/policy.yaml' },
  })
  const xml = textMessageXml({
    corpId: h.callbackApp.corpId,
    fromUser: 'user_a',
    content: 'I can gamble with the client money',
    msgId: '7000000000000000002',
    agentId: h.callbackApp.agentId,
    createTime: nowSeconds(),
  })
  // WeCom re-sends the same ciphertext; a retry may also come re-encrypted with a new nonce.
  const first = buildMessageCallback(h.callbackApp, xml)
  const statuses = [
    (await deliverCallback(h.baseUrl, first)).status,
    (await deliverCallback(h.baseUrl, first)).status,
    (await deliverCallback(h.baseUrl, buildMessageCallback(h.callbackApp, xml))).status,
  ]
  t.same(statuses, [200, 200, 200])

  await h.smtp.waitFor(1)
  await waitUntil('the nudge', () => h.sim.delivered('user_a').length > 0)
  await waitUntil('both actions settled', async () => {
    const rows = await h.app.warden.models.actions.find({ status: 'sent' }).lean()
    return rows.length === 2
  })
  // Give any stray duplicate job time to run before counting.
  await new Promise((resolve) => setTimeout(resolve, 1500))

  t.equal(await h.app.warden.models.messages.countDocuments({}), 1)
  t.equal(await h.app.warden.models.violations.countDocuments({}), 1)
  t.equal(await h.app.warden.models.actions.countDocuments({}), 2)
  t.equal(h.sim.delivered('user_a').length, 1, 'one nudge')
  t.equal(h.smtp.mails().length, 1, 'one email')
})

t.test('P16 the callback is acknowledged while the email step is still stuck', async (t) => {
  const h = await startHarness(t, {
    database: 'e2e_slow_mail',
    listen: true,
    config: { POLICY_FILE: 'test/fixtures/policy.yaml' },
  })
  h.smtp.hold()
  const xml = textMessageXml({
    corpId: h.callbackApp.corpId,
    fromUser: 'user_b',
    content: '保证收益 20%',
    msgId: '7000000000000000003',
    agentId: h.callbackApp.agentId,
    createTime: nowSeconds(),
  })
  const delivered = await deliverCallback(h.baseUrl, buildMessageCallback(h.callbackApp, xml))

  t.equal(delivered.status, 200, 'acknowledged although the mail server has not answered')
  t.equal(h.smtp.mails().length, 0, 'no mail had gone out at acknowledgement time')
  t.equal(await h.app.warden.models.messages.countDocuments({}), 1, 'durably stored before the ack')

  h.smtp.release()
  const mails = await h.smtp.waitFor(1)
  t.equal(mails.length, 1)
})
