import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { compilePolicy } from '../src/policy/load-policy.js'
import type { PolicyEngine, PolicyInput } from '../src/policy/types.js'
import {
  buildMessageCallback,
  deliverCallback,
  textMessageXml,
} from '../src/simulator/callback-sender.js'
import { startHarness, TEST_APP, waitUntil } from './helpers/harness.js'

const KNOWN: PolicyInput = {
  text: '今晚去赌博吗',
  fromUser: 'user_a',
  channel: 'app-callback',
  msgType: 'text',
  chatType: 'single',
  direction: 'inbound',
  departments: ['2'],
}

/** One gambling rule with `extra` YAML lines (indented four spaces) added to it. */
function compileRule(extra: string[]): PolicyEngine {
  const lines = ['rules:', '  - id: no-gambling', '    keywords: [赌博, gamble]']
  const rest = ['    severity: high', '    actions: [nudge]', ...extra]
  return compilePolicy([...lines, ...rest].join('\n'), 'scope.yaml')
}

function isHit(engine: PolicyEngine, input: Partial<PolicyInput>): boolean {
  return engine.evaluate({ ...KNOWN, ...input }).length > 0
}

function readRejection(yamlLines: string[]): string {
  try {
    compileRule(yamlLines)
  } catch (err) {
    return (err as Error).message
  }
  return 'accepted'
}

const SCOPE_CASES: [string, string, Partial<PolicyInput>, Partial<PolicyInput>][] = [
  ['users', 'users: [user_a, user_b]', { fromUser: 'user_b' }, { fromUser: 'zhangsan' }],
  ['exclude_users', 'exclude_users: [bot_x]', { fromUser: 'user_a' }, { fromUser: 'bot_x' }],
  ['channels', 'channels: [app-callback, bot]', { channel: 'bot' }, { channel: 'archive' }],
  ['chat_types', 'chat_types: [group]', { chatType: 'group' }, { chatType: 'single' }],
  ['direction', 'direction: [outbound]', { direction: 'outbound' }, { direction: 'inbound' }],
  ['departments', 'departments: [7, sales]', { departments: ['3', '7'] }, { departments: ['2'] }],
]

for (const [field, line, inside, outside] of SCOPE_CASES) {
  t.test(`a rule scoped by ${field} hits inside the scope and not outside it`, async (t) => {
    const engine = compileRule(['    scope:', `      ${line}`])
    t.ok(isHit(engine, inside), `${JSON.stringify(inside)} is in scope`)
    t.notOk(isHit(engine, outside), `${JSON.stringify(outside)} is out of scope`)
  })
}

t.test('a message must match every scope list that is given', async (t) => {
  const engine = compileRule(['    scope:', '      chat_types: [group]', '      users: [user_a]'])
  t.ok(isHit(engine, { chatType: 'group' }))
  t.notOk(isHit(engine, { chatType: 'group', fromUser: 'user_b' }), 'right chat, wrong user')
  t.notOk(isHit(engine, { chatType: 'single' }), 'right user, wrong chat')
})

t.test('a scope list still applies when the input does not know that field', async (t) => {
  const scope = [
    ...['    scope:', '      users: [zhangsan]', '      channels: [bot]'],
    ...['      chat_types: [group]', '      direction: [outbound]', '      departments: [9]'],
  ]
  const engine = compileRule(scope)
  t.notOk(isHit(engine, {}), 'every known field is out of scope')
  const unknown = { fromUser: null, chatType: null, direction: null, departments: null }
  t.ok(isHit(engine, { ...unknown, channel: 'examples' }), 'null fields and a foreign channel')
  const bare = { text: '赌博', fromUser: null, channel: '', msgType: null }
  t.equal(engine.evaluate(bare).length, 1, 'fields left out altogether')
  t.notOk(isHit(engine, { ...unknown, departments: [] }), 'known to be in no department')
})

t.test('an excepted user never triggers the rule; others still do', async (t) => {
  const engine = compileRule(['    exceptions:', '      users: [compliance_bot]'])
  t.notOk(isHit(engine, { fromUser: 'compliance_bot' }))
  t.ok(isHit(engine, { fromUser: 'user_a' }))
  t.ok(isHit(engine, { fromUser: null }), 'an unknown sender is not excepted')
})

t.test('a hit inside an allow-listed phrase is dropped, one outside it is kept', async (t) => {
  const engine = compileRule(['    exceptions:', '      phrases: [反赌博宣传, anti-gambling]'])
  const spansOf = (text: string) =>
    engine.evaluate({ ...KNOWN, text }).map((hit) => [hit.start, hit.end, hit.matchedText])

  t.same(spansOf('参加反赌博宣传活动'), [])
  t.same(spansOf('参加反賭博 宣傳活动'), [], 'the phrase is normalised like the text')
  t.same(spansOf('反赌博宣传之后去赌博'), [[8, 10, '赌博']], 'the second 赌博 is outside it')
  t.same(spansOf('an ANTI-GAMBLING talk'), [])
  const partly = [
    [1, 3, '赌博'],
    [13, 15, '赌博'],
  ]
  t.same(spansOf('反赌博 is about 赌博'), partly, 'a part of the phrase does not except')
})

t.test('an allow-listed phrase also covers what a detector found', async (t) => {
  const yaml = [
    ...['rules:', '  - id: personal-email', '    detector: email', '    severity: low'],
    ...['    actions: [nudge]', '    exceptions:', '      phrases: [help@corp.example]'],
  ].join('\n')
  const engine = compilePolicy(yaml)
  const found = (text: string) => engine.evaluate({ ...KNOWN, text }).map((hit) => hit.matchedText)
  t.same(found('mail help@corp.example or me@home.example'), ['me@home.example'])
})

t.test('each hit carries its rule threshold so the job can apply it', async (t) => {
  const threshold = ['    threshold:', '      hits: 3', '      within: 90m']
  const engine = compileRule([...threshold, '      escalate: { severity: critical }'])
  t.same(engine.evaluate(KNOWN)[0]?.threshold, {
    hits: 3,
    within: '90m',
    withinMs: 90 * 60_000,
    escalate: { severity: 'critical' },
  })
  t.equal(compileRule([]).evaluate(KNOWN)[0]?.threshold, undefined)
})

const SCHEMA_ERRORS: [string, string[], RegExp][] = [
  [
    'an unknown scope key',
    ['    scope:', '      teams: [a]'],
    /rules\[0\]\.scope\.teams \(line 7\): unknown field; expected one of users, exclude_users/,
  ],
  [
    'a chat type that does not exist',
    ['    scope:', '      chat_types: [single, private]'],
    /rules\[0\]\.scope\.chat_types\[1\] \(line 7\): expected one of single, group; got "private"/,
  ],
  [
    'a channel that does not exist',
    ['    scope:', '      channels: app-callback'],
    /rules\[0\]\.scope\.channels \(line 7\): expected a list of app-callback and\/or bot/,
  ],
  [
    'a user id written as a number',
    ['    exceptions:', '      users: [10086]'],
    /rules\[0\]\.exceptions\.users\[0\] \(line 7\): expected user id \(quote ids made of digits/,
  ],
  [
    'an unknown exceptions key',
    ['    exceptions: { words: [x] }'],
    /rules\[0\]\.exceptions\.words \(line 6\): unknown field; expected one of phrases, users/,
  ],
  [
    'a threshold of one hit',
    ['    threshold: { hits: 1, within: 24h, escalate: { severity: critical } }'],
    /rules\[0\]\.threshold\.hits \(line 6\): expected a whole number of hits from 2 to/,
  ],
  [
    'a threshold window in weeks',
    ['    threshold:', '      hits: 3', '      within: 2w', '      escalate: { actions: [nudge] }'],
    /rules\[0\]\.threshold\.within \(line 8\): expected a time window such as 30m, 24h or 7d/,
  ],
  [
    'a threshold that lowers the severity',
    ['    threshold: { hits: 2, within: 7d, escalate: { severity: low } }'],
    /escalate\.severity \(line 6\): expected a severity of at least the rule's own \(high\)/,
  ],
  [
    'a threshold that escalates to nobody',
    ['    threshold: { hits: 2, within: 7d, escalate: { actions: [escalate] } }'],
    /rules\[0\]\.threshold\.escalate\.actions \(line 6\): expected recipients for escalate/,
  ],
  [
    'a threshold with nothing to escalate',
    ['    threshold: { hits: 2, within: 7d, escalate: {} }'],
    /rules\[0\]\.threshold\.escalate \(line 6\): expected a map with severity and\/or actions/,
  ],
]

t.test('scope, exception and threshold mistakes name the path and the line', async (t) => {
  for (const [name, lines, expected] of SCHEMA_ERRORS) {
    t.match(readRejection(lines), expected, name)
  }
})

const THRESHOLD_POLICY = `rules:
  - id: no-gambling
    keywords: [赌博, gamble]
    severity: medium
    actions: [nudge]
    threshold:
      hits: 3
      within: 24h
      escalate: { severity: critical, actions: [nudge, escalate] }
escalation:
  default: [compliance@example.com]
`

t.test('the third violation by one user within the window is escalated', async (t) => {
  const file = join(t.testdir(), 'threshold.yaml')
  await writeFile(file, THRESHOLD_POLICY)
  const h = await startHarness(t, {
    database: 'policy_scope_threshold',
    listen: true,
    config: { POLICY_FILE: file },
  })
  const { violations, actions } = h.app.warden.models

  const send = async (msgId: string, fromUser: string, expected: number) => {
    const xml = textMessageXml({
      corpId: TEST_APP.corpId,
      fromUser,
      content: `要不要一起赌博 (${msgId})`,
      msgId,
      agentId: TEST_APP.agentId,
      createTime: Math.floor(Date.now() / 1000),
    })
    const built = buildMessageCallback(h.callbackApp, xml)
    t.equal((await deliverCallback(h.baseUrl, built)).status, 200)
    await waitUntil(`violation ${expected}`, async () => {
      return (await violations.countDocuments({})) === expected
    })
    return violations.findOne({ msgId }).lean()
  }

  const first = await send('9500000000000000001', 'user_a', 1)
  const second = await send('9500000000000000002', 'user_a', 2)
  const other = await send('9500000000000000003', 'user_b', 3)
  const third = await send('9500000000000000004', 'user_a', 4)

  for (const [name, row] of [
    ['first', first],
    ['second', second],
    ['other', other],
  ] as const) {
    t.equal(row?.severity, 'medium', `${name} keeps the rule's severity`)
    t.same(row?.actions, ['nudge'], `${name} keeps the rule's actions`)
    t.equal(row?.threshold, undefined, `${name} has not reached the threshold`)
  }
  t.equal(third?.severity, 'critical')
  t.same(third?.actions, ['nudge', 'escalate'])
  t.same(third?.threshold, { hits: 3, within: '24h' })

  const escalations = await waitUntil('the escalation to be planned', async () => {
    const rows = await actions.find({ kind: 'escalate' }).lean()
    return rows.length > 0 ? rows : null
  })
  t.same(
    escalations.map((row) => String(row.violationId)),
    [String(third?._id)],
    'only the third violation is escalated',
  )
  t.same(escalations[0]?.recipients, ['compliance@example.com'])
})
