import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openStoredMedia } from '../src/media/fetch-media.js'
import {
  buildMessageCallback,
  deliverCallback,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { runWarden } from './helpers/archive.js'
import { type Harness, startHarness, testDatabaseUri, waitUntil } from './helpers/harness.js'

const nowSeconds = () => Math.floor(Date.now() / 1000)

async function send(h: Harness, fromUser: string, content: string, msgId: string) {
  const xml = textMessageXml({
    corpId: h.callbackApp.corpId,
    fromUser,
    content,
    msgId,
    agentId: h.callbackApp.agentId,
    createTime: nowSeconds(),
  })
  return deliverCallback(h.baseUrl, buildMessageCallback(h.callbackApp, xml))
}

function departmentPolicy(): string {
  const file = join(tmpdir(), `warden-dept-policy-${process.pid}.yaml`)
  writeFileSync(
    file,
    [
      'rules:',
      '  - id: finance-insider',
      '    description: Finance staff must not discuss unpublished results',
      '    keywords: [财报]',
      '    severity: high',
      '    scope:',
      '      departments: ["2"]',
      '    actions: [escalate]',
      'escalation:',
      '  default: [compliance@example.com]',
      '',
    ].join('\n'),
  )
  return file
}

t.test('a callback is archived with the sender name and departments of that moment', async (t) => {
  const h = await startHarness(t, { database: 'archive_identity', listen: true })
  const delivered = await send(h, 'zhangsan', '明天见', '7100000000000000001')
  t.equal(delivered.status, 200)
  const [stored] = await h.app.warden.models.messages.find({}).lean()
  t.equal(stored?.sender?.name, '张三')
  t.same(stored?.sender?.departments, [1, 2])
  t.equal(stored?.sender?.source, 'user/get')
  t.equal(stored?.seq, 1, 'the callback took the first place in the chain')

  // The directory changes later; the archived snapshot does not.
  h.sim.addUser({ userid: 'zhangsan', name: '张三丰', department: [7] })
  const verify = await runWarden(['verify', '--quiet'], { MONGODB_URI: h.config.MONGODB_URI })
  t.equal(verify.code, 0, verify.stdout)
})

t.test(
  'a sender the directory does not know is archived without a name, not refused',
  async (t) => {
    const h = await startHarness(t, { database: 'archive_identity_unknown', listen: true })
    const delivered = await send(h, 'stranger_9', '你好', '7100000000000000002')
    t.equal(delivered.status, 200)
    const [stored] = await h.app.warden.models.messages.find({}).lean()
    t.equal(stored?.sender?.name, null)
    t.not(stored?.sender?.source, 'user/get')
  },
)

t.test('a department-scoped rule applies to members of that department only', async (t) => {
  const h = await startHarness(t, {
    database: 'archive_department_scope',
    listen: true,
    config: { POLICY_FILE: departmentPolicy() },
  })
  await send(h, 'lisi', '财报下周发布', '7100000000000000003') // department 3
  await send(h, 'chenjiashun', '财报下周发布', '7100000000000000004') // department 2
  const violations = await waitUntil('the finance violation', async () => {
    const evaluated = await h.app.warden.models.messages.countDocuments({
      'processing.state': 'evaluated',
    })
    return evaluated === 2 ? h.app.warden.models.violations.find({}).lean() : null
  })
  t.same(
    violations.map((v) => v.fromUser),
    ['chenjiashun'],
    'only the finance member is flagged',
  )
})

t.test('an image callback is acknowledged at once and its bytes land in GridFS', async (t) => {
  const h = await startHarness(t, { database: 'archive_media', listen: true })
  const bytes = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 31) % 256))
  const mediaId = h.sim.addMedia(bytes, { contentType: 'image/jpeg', filename: '合同.jpg' })
  const xml =
    `<xml><ToUserName><![CDATA[${h.callbackApp.corpId}]]></ToUserName>` +
    `<FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>${nowSeconds()}</CreateTime>` +
    `<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://127.0.0.1/p.jpg]]></PicUrl>` +
    `<MediaId><![CDATA[${mediaId}]]></MediaId><MsgId>7100000000000000005</MsgId>` +
    `<AgentID>${h.callbackApp.agentId}</AgentID></xml>`
  const delivered = await deliverCallback(h.baseUrl, buildMessageCallback(h.callbackApp, xml))
  t.equal(delivered.status, 200)

  const media = await waitUntil('the media stored', async () => {
    const row = await h.app.warden.models.media.findOne({ state: 'stored' }).lean()
    return row ?? null
  })
  t.equal(media.sha256, createHash('sha256').update(bytes).digest('hex'))
  t.equal(media.size, bytes.length)
  const chunks: Buffer[] = []
  if (!media.gridFsId) throw new Error('no GridFS id')
  for await (const chunk of openStoredMedia(h.app.warden.connection, media.gridFsId))
    chunks.push(chunk)
  t.ok(Buffer.concat(chunks).equals(bytes), 'the stored bytes are the bytes WeCom served')
})

t.test('a policy reload is recorded in the audit log with who asked', async (t) => {
  const h = await startHarness(t, { database: 'archive_policy_audit' })
  await h.app.warden.reloadPolicy('ops@example.com')
  const run = await runWarden(['audit', '--action', 'policy.change', '--json'], {
    MONGODB_URI: testDatabaseUri('archive_policy_audit'),
  })
  t.equal(run.code, 0, run.stderr)
  const [entry] = JSON.parse(run.stdout)
  t.equal(entry.actor, 'ops@example.com')
  t.equal(entry.outcome.outcome, 'unchanged')
})

t.test('a long message is archived whole and checked like a short one', async (t) => {
  const h = await startHarness(t, {
    database: 'archive_long_message',
    listen: true,
    config: { POLICY_FILE: departmentPolicy() },
  })
  const filler = Array.from({ length: 2000 }, (_, i) =>
    String.fromCodePoint(0x4e00 + ((i * 37) % 5000)),
  ).join('')
  const delivered = await send(h, 'chenjiashun', `${filler}。财报下周发布`, '7100000000000000006')
  t.equal(delivered.status, 200)
  const [stored] = await h.app.warden.models.messages.find({}).lean()
  t.equal(stored?.content?.length, 2007, 'the whole text is kept, not a reduced record')
  t.ok((stored?.grams.length ?? 0) > 1000, 'and every gram of it is searchable')
  const violations = await waitUntil('the violation', async () => {
    const found = await h.app.warden.models.violations.find({}).lean()
    return found.length > 0 ? found : null
  })
  t.equal(violations[0]?.ruleId, 'finance-insider')
})

t.test('a record stored reduced is still read by the policy from its raw bytes', async (t) => {
  const { policyText } = await import('../src/jobs/evaluate-message.js')
  const xml = textMessageXml({
    corpId: 'ww0000000000000000',
    fromUser: 'zhangsan',
    content: '内幕消息',
    msgId: '7100000000000000007',
    agentId: '1000002',
    createTime: 1,
  })
  const reduced = {
    content: null,
    rawXml: Buffer.from(xml, 'utf8').toString('base64'),
    rawXmlEncoding: 'base64' as const,
    fields: { unstorable: true },
  }
  t.equal(policyText(reduced), '内幕消息')
  t.equal(policyText({ ...reduced, fields: {} }), '', 'an event without content has no text')
})
