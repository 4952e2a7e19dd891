import t from 'tap'
import type { ActionKindName } from '../src/actions/action-model.js'
import { archiveMessage } from '../src/archive/archive-message.js'
import { parseInboundMessage } from '../src/parse/inbound-message.js'
import {
  buildMessageCallback,
  deliverCallback,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { type Harness, startHarness, TEST_APP, waitUntil } from './helpers/harness.js'

const nowSeconds = () => Math.floor(Date.now() / 1000)
const POLICY = 'test/fixtures/policy.yaml'

function gamblingXml(msgId: string, fromUser: string) {
  return textMessageXml({
    corpId: TEST_APP.corpId,
    fromUser,
    content: `let us gamble tonight (${msgId})`,
    msgId,
    agentId: TEST_APP.agentId,
    createTime: nowSeconds(),
  })
}

async function settledAction(h: Harness, kind: ActionKindName) {
  return waitUntil(`the ${kind} action to settle`, async () => {
    const row = await h.app.warden.models.actions.findOne({ kind }).lean()
    return row && row.status !== 'pending' ? row : null
  })
}

t.test('a temporary SMTP failure is retried and the email goes out once', async (t) => {
  const h = await startHarness(t, {
    database: 'actions_smtp_retry',
    listen: true,
    config: { POLICY_FILE: POLICY },
  })
  h.smtp.deferNext(1)
  const built = buildMessageCallback(h.callbackApp, gamblingXml('9100000000000000001', 'user_a'))
  t.equal((await deliverCallback(h.baseUrl, built)).status, 200)

  const row = await settledAction(h, 'escalate')
  t.equal(row.status, 'sent')
  t.equal(row.attempts, 2, 'first attempt deferred by the relay, second delivered')
  t.same(row.result?.delivered, ['compliance@example.com'])
  t.equal(h.smtp.mails().length, 1)
})

t.test('P21 an untrusted egress IP fails the nudge once and is surfaced, not looped', async (t) => {
  const h = await startHarness(t, {
    database: 'actions_60020',
    listen: true,
    config: { POLICY_FILE: POLICY },
  })
  h.sim.failNext('/cgi-bin/message/send', {
    errcode: 60020,
    errmsg: 'not allow to access from your ip, hint: [1670000000_1_abc], from ip: 203.0.113.7',
  })
  const built = buildMessageCallback(h.callbackApp, gamblingXml('9100000000000000002', 'user_b'))
  t.equal((await deliverCallback(h.baseUrl, built)).status, 200)

  const row = await settledAction(h, 'nudge')
  t.equal(row.status, 'failed')
  t.equal(row.lastError?.code, 'WARDEN_WECOM_UNTRUSTED_IP')
  t.equal(row.lastError?.retryable, false)
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.equal(h.sim.calls('/cgi-bin/message/send').length, 1, 'message/send was called exactly once')
})

t.test('P20 a nudge to a member WeCom does not know is recorded as failed', async (t) => {
  const h = await startHarness(t, {
    database: 'actions_81013',
    listen: true,
    config: { POLICY_FILE: POLICY },
  })
  const built = buildMessageCallback(h.callbackApp, gamblingXml('9100000000000000003', 'ghost'))
  t.equal((await deliverCallback(h.baseUrl, built)).status, 200)

  const row = await settledAction(h, 'nudge')
  t.equal(row.status, 'failed')
  t.equal(row.lastError?.code, 'WARDEN_WECOM_API')
  t.same(row.recipients, ['ghost'])
  const mail = await settledAction(h, 'escalate')
  t.equal(mail.status, 'sent', 'the escalation does not depend on the nudge')
})

t.test('archived work left unprocessed by a crash is picked up after a restart', async (t) => {
  const first = await startHarness(t, {
    database: 'actions_restart',
    config: { POLICY_FILE: POLICY },
  })
  // The process "died" right after the durable write: archived, never enqueued.
  const xml = gamblingXml('9100000000000000004', 'zhangsan')
  await archiveMessage(
    first.app.warden.models.messages,
    'app-callback',
    parseInboundMessage(xml),
    xml,
    new Date(Date.now() - 60_000),
  )
  await first.app.close()

  const second = await startHarness(t, {
    database: 'actions_restart',
    keepDatabase: true,
    config: { POLICY_FILE: POLICY },
  })
  await second.smtp.waitFor(1)
  await waitUntil('the nudge', () => second.sim.delivered('zhangsan').length === 1)
  const message = await second.app.warden.models.messages.findOne({}).lean()
  t.equal(message?.processing.state, 'evaluated')
  t.equal(await second.app.warden.models.violations.countDocuments({}), 1)

  // A further restart finds nothing left to do and sends nothing again.
  await second.app.close()
  const third = await startHarness(t, {
    database: 'actions_restart',
    keepDatabase: true,
    config: { POLICY_FILE: POLICY },
  })
  await new Promise((resolve) => setTimeout(resolve, 3000))
  t.equal(third.smtp.mails().length, 0, 'no second email after the restart')
  t.equal(third.sim.delivered().length, 0, 'no second nudge after the restart')
  t.equal(await third.app.warden.models.actions.countDocuments({ status: 'sent' }), 2)
})
