import { readFile } from 'node:fs/promises'
import t from 'tap'
import { maskPii } from '../src/actions/mask-pii.js'
import { loadTemplates, type ViolationView } from '../src/actions/render-templates.js'

const TEMPLATES_DIR = 'templates'

function createViolation(content: string, matchedText: string): ViolationView {
  const start = content.indexOf(matchedText)
  return {
    violationId: '665f1c2e9b1e8a0012345678',
    ruleId: 'no-gambling',
    ruleVersion: 3,
    description: '请勿谈论赌博 / Please keep gambling out of work chats',
    severity: 'high',
    verdict: 'FLAG',
    matchedText,
    start,
    end: start + matchedText.length,
    message: {
      msgId: 'CAIQ1234567890',
      fromUser: 'mycreate',
      channel: 'callback',
      msgType: 'text',
      content,
      createTime: new Date('2026-03-01T09:30:00+08:00'),
      receivedAt: new Date('2026-03-01T01:30:02Z'),
    },
  }
}

t.test('the nudge names the rule, masks a phone number and stays under 2048 bytes', async (t) => {
  const renderer = await loadTemplates(TEMPLATES_DIR)
  const nudge = renderer.renderNudge(createViolation('我的电话 13800138000 找我', '13800138000'))

  t.match(nudge, 'Please keep gambling out of work chats')
  t.match(nudge, '138****8000')
  t.notMatch(nudge, '13800138000')
  t.ok(nudge.indexOf('合规') < nudge.indexOf('compliance'), 'Chinese comes before English')
  t.match(nudge, /recorded for compliance review/)
  t.ok(Buffer.byteLength(nudge) <= 2048)
})

t.test('two violations of one rule give two different nudge texts', async (t) => {
  // WeCom's duplicate check drops an identical text to the same user: each violation's own
  // reference keeps a second, genuine nudge from being swallowed as a resend.
  const renderer = await loadTemplates(TEMPLATES_DIR)
  const first = createViolation('赌博', '去赌博')
  const second = { ...createViolation('赌博', '去赌博'), violationId: 'f'.repeat(24) }
  t.not(renderer.renderNudge(first), renderer.renderNudge(second))
})

t.test('the nudge keeps within 2048 bytes whatever the rule and message hold', async (t) => {
  const renderer = await loadTemplates(TEMPLATES_DIR)
  const violation = createViolation(`${'赌'.repeat(5000)}`, '赌'.repeat(5000))
  violation.description = '规则说明'.repeat(500)
  const nudge = renderer.renderNudge(violation)

  t.ok(Buffer.byteLength(nudge) <= 2048, `${Buffer.byteLength(nudge)} bytes`)
  t.match(nudge, /^【合规提醒 Compliance notice】/)
  t.match(nudge, /Ref: [0-9a-f]{24}\s*$/, 'the reference survives the cut')
})

t.test('the escalation HTML escapes the message and highlights the hit', async (t) => {
  const renderer = await loadTemplates(TEMPLATES_DIR)
  const content = 'hi <script>alert("x")</script> 去赌博 & call 13800138000'
  const email = renderer.renderEscalation(createViolation(content, '赌博'))

  t.notMatch(email.html, '<script>')
  t.match(email.html, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
  t.match(email.html, /<mark[^>]*>赌博<\/mark>/)
  t.match(email.html, '138****8000')
  t.notMatch(email.html, /<img|<link|url\(/)
  t.match(email.text, 'hi <script>alert("x")</script> 去>>>赌博<<< & call 138****8000')
})

t.test('the escalation subject reads severity, rule and employee', async (t) => {
  const renderer = await loadTemplates(TEMPLATES_DIR)
  const violation = createViolation('去赌博', '赌博')

  t.equal(
    renderer.renderEscalation(violation).subject,
    '[wecom-warden] HIGH no-gambling — mycreate',
  )
  violation.message.fromUser = null
  violation.severity = 'critical'
  t.equal(
    renderer.renderEscalation(violation).subject,
    '[wecom-warden] CRITICAL no-gambling — unknown sender',
  )
})

t.test('the escalation text part carries the audit trail and ISO times', async (t) => {
  const renderer = await loadTemplates(TEMPLATES_DIR)
  const { text, html } = renderer.renderEscalation(createViolation('去赌博', '赌博'))

  for (const part of [text, html]) {
    t.match(part, 'CAIQ1234567890')
    t.match(part, '665f1c2e9b1e8a0012345678')
    t.match(part, '2026-03-01T01:30:00.000Z')
    t.match(part, 'mycreate')
    t.match(part, /no-gambling v3/)
    t.match(part, 'FLAG')
  }
})

t.test('a hit whose offsets do not fit the content shows the content unmarked', async (t) => {
  const renderer = await loadTemplates(TEMPLATES_DIR)
  const violation = { ...createViolation('去赌博', '赌博'), start: 0, end: 2 }
  const noText = createViolation('', '赌博')
  noText.message.createTime = null

  t.match(renderer.renderEscalation(violation).text, /去赌博\n/)
  t.notMatch(renderer.renderEscalation(violation).html, '<mark')
  t.match(renderer.renderEscalation(noText).text, '(no text content)')
  t.match(renderer.renderEscalation(noText).text, /Sent at: +unknown/)
})

t.test('maskPii masks phone, ID and card numbers but not short numbers', async (t) => {
  t.equal(maskPii('call 13800138000'), 'call 138****8000')
  t.equal(maskPii('ID 11010519491231002X'), 'ID 110105********002X')
  t.equal(maskPii('卡号 6222 0202 0202 0209'), '卡号 622* **** **** 0209')
  t.equal(maskPii('加ＶＸ：１３８００１３８０００'), '加ＶＸ：１３８****８０００')
  t.equal(
    maskPii('paid 12345 on 2026-03-01, ref 1234567890X'),
    'paid 12345 on 2026-03-01, ref 1234567890X',
  )
})

t.test('templates that are broken fail at load with WARDEN_TEMPLATE_INVALID', async (t) => {
  const files = Object.fromEntries(
    await Promise.all(
      [
        'nudge.txt.hbs',
        'escalation.html.hbs',
        'escalation.txt.hbs',
        'escalation-subject.txt.hbs',
      ].map(async (name) => [name, await readFile(`${TEMPLATES_DIR}/${name}`, 'utf8')]),
    ),
  )
  const root = t.testdir({
    unescaped: { ...files, 'escalation.html.hbs': '<p>{{{content.before}}}</p>' },
    misspelt: { ...files, 'nudge.txt.hbs': '{{{descripton}}}' },
    missing: { 'nudge.txt.hbs': files['nudge.txt.hbs'] },
  })
  const unescaped = `${root}/unescaped`
  const misspelt = `${root}/misspelt`
  const missing = `${root}/missing`

  await t.rejects(loadTemplates(unescaped), {
    code: 'WARDEN_TEMPLATE_INVALID',
    message: /escaping/,
  })
  await t.rejects(loadTemplates(misspelt), {
    code: 'WARDEN_TEMPLATE_INVALID',
    message: /descripton/,
  })
  await t.rejects(loadTemplates(missing), {
    code: 'WARDEN_TEMPLATE_INVALID',
    message: /could not be read/,
  })
})

t.test('the escalation says why a hit counts and how its text was disguised', async (t) => {
  const renderer = await loadTemplates(TEMPLATES_DIR)
  const violation = {
    ...createViolation('身份证110105194912310021', '110105194912310021'),
    verdict: 'REVIEW' as const,
    reason: 'resident ID number whose checksum fails',
    steps: ['ignorable', 't2s'],
  }
  const email = renderer.renderEscalation(violation)
  t.match(email.text, /Why: +resident ID number whose checksum fails/)
  t.match(email.text, /Normalised: +ignorable, t2s/)
  t.match(email.html, /<td>resident ID number whose checksum fails<\/td>/)
  const plain = renderer.renderEscalation(createViolation('去赌博', '赌博'))
  t.notMatch(plain.text, /Why:/, 'no empty line for a plain keyword hit')
})
