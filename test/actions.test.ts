import t from 'tap'
import type { ActionKindName } from '../src/actions/action-model.js'
import { archiveMessage } from '../src/archive/archive-message.js'
import { WardenError } from '../src/errors/warden-error.js'
import { evaluateMessage } from '../src/jobs/evaluate-message.js'
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
    first.app.warden.archive,
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

t.test(
  'forty violations arriving at once give exactly forty nudges and forty emails',
  async (t) => {
    // Regression: on FerretDB a findOneAndUpdate claim is not atomic, and under a burst two
    // workers sent the same email; claims are now unique-key inserts.
    const h = await startHarness(t, {
      database: 'actions_burst',
      listen: true,
      config: { POLICY_FILE: POLICY },
    })
    const callbacks = Array.from({ length: 40 }, (_, i) =>
      buildMessageCallback(h.callbackApp, gamblingXml(`93000000000000000${10 + i}`, `user${i}`)),
    )
    const statuses = await Promise.all(callbacks.map((c) => deliverCallback(h.baseUrl, c)))
    t.ok(
      statuses.every((s) => s.status === 200),
      'all forty acknowledged',
    )

    await waitUntil(
      'eighty actions sent',
      async () => (await h.app.warden.models.actions.countDocuments({ status: 'sent' })) === 80,
      60_000,
    )
    await new Promise((resolve) => setTimeout(resolve, 2500))
    const mails = h.smtp.mails()
    const messageIds = new Set(mails.map((m) => m.parsed.messageId))
    t.equal(mails.length, 40, 'forty emails')
    t.equal(messageIds.size, 40, 'each for a different violation')
    t.equal(h.sim.delivered().length, 40, 'forty nudges')
    t.equal(h.sim.calls('/cgi-bin/message/send').length, 40, 'no second message/send for any nudge')
    const tries = await h.app.warden.models.attempts.countDocuments({ outcome: 'sent' })
    t.equal(tries, 80, 'one successful try recorded per action')
  },
)

t.test(
  'a message the policy engine fails on is parked as failed, not retried forever',
  async (t) => {
    const h = await startHarness(t, {
      database: 'actions_engine_failure',
      config: { POLICY_FILE: POLICY },
    })
    const xml = gamblingXml('9400000000000000001', 'user_a')
    const stored = await archiveMessage(
      h.app.warden.archive,
      'app-callback',
      parseInboundMessage(xml),
      xml,
      new Date(),
    )
    const broken = {
      version: 'broken',
      ruleCount: 1,
      listRules: () => [],
      evaluate: () => {
        throw new WardenError('WARDEN_INTERNAL', { details: { reason: 'engine aborted' } })
      },
    }
    const outcome = await evaluateMessage(h.app.warden.models, broken, stored.id)
    t.equal(outcome.errorCode, 'WARDEN_INTERNAL')
    const message = await h.app.warden.models.messages.findById(stored.id).lean()
    t.equal(message?.processing.state, 'failed')
    t.equal(message?.processing.errorCode, 'WARDEN_INTERNAL')
    t.equal(await h.app.warden.models.violations.countDocuments({}), 0)
  },
)
