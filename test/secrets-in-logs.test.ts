import { PassThrough } from 'node:stream'
import t from 'tap'
import {
  buildMessageCallback,
  deliverCallback,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { startHarness, TEST_APP, waitUntil } from './helpers/harness.js'

t.test('no secret reaches the logs, even at trace level and on failures', async (t) => {
  const lines: string[] = []
  const logStream = new PassThrough()
  logStream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n')))

  const h = await startHarness(t, {
    database: 'secrets_in_logs',
    listen: true,
    logStream,
    config: { LOG_LEVEL: 'trace', POLICY_FILE: 'test/fixtures/policy.yaml' },
  })
  // A failing escalation (the relay defers it once) logs its error too.
  h.smtp.deferNext(1)
  const xml = textMessageXml({
    corpId: TEST_APP.corpId,
    fromUser: 'user_a',
    content: 'gamble now',
    msgId: '9200000000000000001',
    agentId: TEST_APP.agentId,
    createTime: Math.floor(Date.now() / 1000),
  })
  const good = buildMessageCallback(h.callbackApp, xml)
  t.equal((await deliverCallback(h.baseUrl, good)).status, 200)
  const forged = {
    ...good,
    query: good.query.replace(/msg_signature=[0-9a-f]{4}/, 'msg_signature=ffff'),
  }
  t.equal((await deliverCallback(h.baseUrl, forged)).status, 403)
  await waitUntil('both actions sent', async () => {
    return (await h.app.warden.models.actions.countDocuments({ status: 'sent' })) === 2
  })
  const tokens = h.sim.calls('/cgi-bin/gettoken').length
  t.ok(tokens >= 1, 'a token was fetched')

  const log = lines.join('\n')
  t.ok(log.includes('callback archived'), 'the capture holds the service logs')
  t.ok(log.includes('request refused'), 'the forged callback was logged')
  const smtpPassword = new URL(h.config.SMTP_URL).password
  for (const [name, secret] of Object.entries({
    WECOM_SECRET: TEST_APP.secret,
    WECOM_TOKEN: TEST_APP.token,
    WECOM_ENCODING_AES_KEY: TEST_APP.encodingAesKey,
    smtpPassword,
  })) {
    t.notOk(log.includes(secret), `${name} never appears in the logs`)
  }
  t.notMatch(log, /access_token=[^&"\s[]{8,}/, 'no access token in a logged URL')
})
