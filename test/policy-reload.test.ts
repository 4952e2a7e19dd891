import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { policyChangeModel } from '../src/policy/policy-change-model.js'
import {
  buildMessageCallback,
  deliverCallback,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { startHarness, TEST_APP, waitUntil } from './helpers/harness.js'

const BASE = `rules:
  - id: no-gambling
    keywords: [赌博]
    severity: high
    actions: [escalate]
    examples:
      hit: ['去赌博']
      miss: ['博物馆']
escalation:
  default: [compliance@example.com]
`

t.test('reloading the policy without a restart', async (t) => {
  const dir = t.testdir({ 'policy.yaml': BASE })
  const file = join(dir, 'policy.yaml')
  const h = await startHarness(t, {
    database: 'policy_reload',
    listen: true,
    config: { POLICY_FILE: file },
  })
  const changes = policyChangeModel(h.app.warden.connection)
  const firstVersion = h.app.warden.policy().version

  t.test('an unchanged file is recorded as unchanged', async (t) => {
    const result = await h.app.warden.reloadPolicy('tester')
    t.equal(result.outcome, 'unchanged')
    t.equal(result.version, firstVersion)
  })

  t.test('a valid edit is applied, recorded with its diff, and judges new messages', async (t) => {
    await writeFile(file, BASE.replace('keywords: [赌博]', 'keywords: [赌博, 博彩]'))
    const result = await h.app.warden.reloadPolicy('alice@compliance')
    t.equal(result.outcome, 'applied')
    t.not(h.app.warden.policy().version, firstVersion)

    const change = await changes.findOne({ outcome: 'applied' }).lean()
    t.equal(change?.actor, 'alice@compliance')
    t.equal(change?.fromVersion, firstVersion)
    t.equal(change?.toVersion, result.version)
    t.match(change?.diff, /^-\s+keywords: \[赌博\]$/m)
    t.match(change?.diff, /^\+\s+keywords: \[赌博, 博彩\]$/m)

    const xml = textMessageXml({
      corpId: TEST_APP.corpId,
      fromUser: 'user_a',
      content: '有个博彩网站',
      msgId: '9500000000000000001',
      agentId: TEST_APP.agentId,
      createTime: Math.floor(Date.now() / 1000),
    })
    await deliverCallback(h.baseUrl, buildMessageCallback(h.callbackApp, xml))
    const violation = await waitUntil('a violation under the new policy', () =>
      h.app.warden.models.violations.findOne({ msgId: '9500000000000000001' }).lean(),
    )
    t.equal(violation.matchedText, '博彩')
    t.equal(violation.policyVersion, result.version)
  })

  t.test('a policy that fails validation is refused and the old one stays', async (t) => {
    const before = h.app.warden.policy().version
    await writeFile(file, BASE.replace('severity: high', 'severity: severe'))
    const result = await h.app.warden.reloadPolicy('bob')
    t.equal(result.outcome, 'refused')
    t.match(result.reason, /rules\[0\]\.severity \(line 4\)/)
    t.equal(h.app.warden.policy().version, before, 'the old policy is still active')
    const change = await changes.findOne({ actor: 'bob' }).lean()
    t.equal(change?.outcome, 'refused')
    t.equal(change?.toVersion, null)
  })

  t.test('a policy whose own examples disagree is refused', async (t) => {
    const before = h.app.warden.policy().version
    await writeFile(file, BASE.replace("miss: ['博物馆']", "miss: ['我们去赌博']"))
    const result = await h.app.warden.reloadPolicy('carol')
    t.equal(result.outcome, 'refused')
    t.match(result.reason, /examples disagree for no-gambling/)
    t.equal(h.app.warden.policy().version, before)
  })

  t.test('every attempt is on record', async (t) => {
    const outcomes = (await changes.find({}).sort({ at: 1 }).lean()).map((c) => c.outcome)
    t.same(outcomes, ['unchanged', 'applied', 'refused', 'refused'])
    t.equal(await readFile(file, 'utf8').then((text) => text.length > 0), true)
  })
})

t.test('a policy at odds with its own examples does not start', async (t) => {
  const dir = t.testdir({
    'policy.yaml': BASE.replace("miss: ['博物馆']", "miss: ['我们去赌博']"),
  })
  await t.rejects(
    startHarness(t, {
      database: 'policy_reload_start',
      config: { POLICY_FILE: join(dir, 'policy.yaml') },
    }),
    { code: 'WARDEN_POLICY_INVALID', message: /examples disagree for no-gambling/ },
  )
})
