import { readFile } from 'node:fs/promises'
import t, { type Test } from 'tap'
import { isWardenError } from '../src/errors/warden-error.js'
import { compilePolicy, loadPolicyFile } from '../src/policy/load-policy.js'
import {
  compileRegexMatcher,
  findRegexProblem,
  MAX_REGEX_HITS,
} from '../src/policy/regex-matcher.js'
import type { PolicyEngine, PolicyInput } from '../src/policy/types.js'
import { createInput, readRejection } from './helpers/policy.js'

const ISSUE_EXAMPLE = `rules:
  - id: no-gambling
    keywords: [赌博, gamble]
    severity: high
    actions: [nudge, escalate]
escalation:
  default: [compliance@example.com]
`

function compileKeywords(keywords: string[]): PolicyEngine {
  const list = keywords.map((keyword) => JSON.stringify(keyword)).join(', ')
  const lines = ['rules:', '  - id: words', `    keywords: [${list}]`, '    severity: low']
  const yaml = [...lines, '    actions: [nudge]'].join('\n')
  return compilePolicy(yaml, 'words.yaml')
}

function compileRegex(pattern: string): PolicyEngine {
  const lines = ['rules:', '  - id: pattern', `    regex: ${JSON.stringify(pattern)}`]
  const yaml = [...lines, '    severity: low', '    actions: [nudge]'].join('\n')
  return compilePolicy(yaml, 'regex.yaml')
}

function findOffsets(engine: PolicyEngine, text: string) {
  return engine.evaluate(createInput(text)).map((hit) => [hit.start, hit.end])
}

function findSpans(engine: PolicyEngine, text: string) {
  return engine.evaluate(createInput(text)).map((hit) => [hit.start, hit.end, hit.matchedText])
}

t.test('the issue example flags 赌博 at its span and case-folds Gamble', async (t) => {
  const engine = compilePolicy(ISSUE_EXAMPLE, 'issue.yaml')
  const hits = engine.evaluate(createInput('周末去赌博吗? Gamble later'))

  t.equal(engine.ruleCount, 1)
  t.match(engine.version, /^[0-9a-f]{12}$/)
  t.same(
    hits.map((hit) => [hit.ruleId, hit.start, hit.end, hit.matchedText, hit.normalised]),
    [
      ['no-gambling', 3, 5, '赌博', '赌博'],
      ['no-gambling', 8, 14, 'Gamble', 'gamble'],
    ],
  )
  t.match(hits[0], {
    ruleVersion: 1,
    description: 'No gambling',
    severity: 'high',
    verdict: 'FLAG',
    actions: ['nudge', 'escalate'],
    escalateTo: ['compliance@example.com'],
  })
})

t.test(
  'full-width letters, ligatures and astral characters map back to the original',
  async (t) => {
    const engine = compileKeywords(['vx', 'finance', 'casino'])

    t.same(findSpans(engine, '加ＶＸ聊'), [[1, 3, 'ＶＸ']])
    t.same(findSpans(engine, 'ﬁnance team'), [[0, 6, 'ﬁnance']])
    t.same(findSpans(engine, '🎲🎲 CASINO'), [[5, 11, 'CASINO']])
  },
)

t.test('a Latin or digit keyword only matches whole words', async (t) => {
  const engine = compileKeywords(['69', 'gamble'])

  t.same(findSpans(engine, 'trade deficit totaled 695 billion yen'), [])
  t.same(findSpans(engine, 'gambler gambles'), [])
  t.same(findSpans(engine, '代号69号'), [[2, 4, '69']])
  t.same(findSpans(engine, 'gamble!'), [[0, 6, 'gamble']])
})

t.test('overlapping, nested and repeated keywords are all reported', async (t) => {
  const engine = compileKeywords([
    '赌博',
    '赌博网站',
    '内幕消息',
    '消息灵通',
    'insider tip',
    'tip off',
  ])

  t.same(findSpans(engine, '赌博网站'), [
    [0, 2, '赌博'],
    [0, 4, '赌博网站'],
  ])
  t.same(findSpans(engine, '内幕消息灵通'), [
    [0, 4, '内幕消息'],
    [2, 6, '消息灵通'],
  ])
  t.same(findSpans(engine, 'an insider tip off'), [
    [3, 14, 'insider tip'],
    [11, 18, 'tip off'],
  ])
  t.same(findSpans(engine, '赌博赌博'), [
    [0, 2, '赌博'],
    [2, 4, '赌博'],
  ])
})

t.test('a regex rule hits on normalised text and honours its own boundaries', async (t) => {
  const engine = compilePolicy(
    [
      'rules:',
      '  - id: mobile',
      "    regex: '\\b1[3-9]\\d{9}\\b'",
      '    severity: medium',
      '    verdict: REVIEW',
      '    actions: [escalate]',
      '    escalate_to: [security@example.com]',
      'escalation:',
      '  default: [compliance@example.com]',
    ].join('\n'),
  )
  const [hit, ...rest] = engine.evaluate(createInput('电话１３８００１３８０００，或 13800138000'))

  t.match(hit, { ruleId: 'mobile', start: 2, end: 13, normalised: '13800138000' })
  t.match(hit, { verdict: 'REVIEW', escalateTo: ['security@example.com'] })
  t.equal(rest.length, 1)
  t.same(findSpans(engine, 'order 138001380001 and 2138001380000'), [])
})

t.test('validation errors name the path, the line and what was expected', async (t) => {
  const rule = (extra: string) =>
    `rules:\n  - id: a\n    keywords: [x]\n    severity: low\n    actions: [nudge]\n${extra}`
  const regexRule = (pattern: string) =>
    `rules:\n  - id: a\n    regex: '${pattern}'\n    severity: low\n    actions: [nudge]\n`
  const cases: [string, string, RegExp][] = [
    [
      'unknown field',
      rule('    colour: red\n'),
      /rules\[0\]\.colour \(line 6\): unknown field; expected one of id,/,
    ],
    [
      'wrong type',
      rule('    version: "2"\n'),
      /rules\[0\]\.version \(line 6\): expected a whole number/,
    ],
    [
      'bad severity',
      rule('').replace('low', 'severe'),
      /rules\[0\]\.severity \(line 4\): expected one of low, medium/,
    ],
    [
      'duplicate id',
      rule('').concat(rule('').slice(7)),
      /rules\[1\]\.id \(line 6\): expected a unique id; "a" is also rules\[0\]/,
    ],
    [
      'invalid regex',
      regexRule('[a'),
      /rules\[0\]\.regex \(line 3\): expected a valid JavaScript regular expression/,
    ],
    [
      'lookahead',
      regexRule('(?=x)'),
      /rules\[0\]\.regex \(line 3\): expected no lookahead .*not supported by the linear-time/,
    ],
    [
      'backreference',
      regexRule('(a)\\1'),
      /rules\[0\]\.regex \(line 3\): expected no backreferences/,
    ],
    [
      'capital letters',
      regexRule('VX\\d+'),
      /rules\[0\]\.regex \(line 3\): expected lower-case letters/,
    ],
    [
      'empty keywords',
      rule('').replace('[x]', '[]'),
      /rules\[0\]\.keywords \(line 3\): expected a list of at least one keyword/,
    ],
    [
      'bad email',
      `${rule('')}escalation:\n  default: [not-an-email]\n`,
      /escalation\.default\[0\] \(line 7\): expected an email/,
    ],
    [
      'unknown action',
      rule('').replace('[nudge]', '[nudge, shout]'),
      /rules\[0\]\.actions\[1\] \(line 5\): expected one of nudge, escalate/,
    ],
    [
      'both matchers',
      rule("    regex: 'x'\n"),
      /rules\[0\] \(line 2\): expected exactly one of keywords or regex; got both/,
    ],
    [
      'escalate without recipients',
      rule('').replace('[nudge]', '[escalate]'),
      /rules\[0\]\.actions \(line 5\): expected recipients/,
    ],
    ['yaml syntax', 'rules: [\n', /\(yaml\) \(line \d\)/],
    ['an unclosed bracket at the end', 'rules: [\n', /\(yaml\) \(line 1\): Flow sequence/],
    [
      'an unclosed quote at the end',
      "rules:\n  - id: a\n    keywords: ['x]\n    severity: high\n",
      /\(yaml\) \(line 4\): Missing closing/,
    ],
    [
      'a duplicate key',
      'rules:\n  - id: a\n    keywords: [x]\n    severity: high\n    severity: low\n',
      /^ {2}rules\[0\]\.severity \(line 5\): Map keys must be unique/m,
    ],
    [
      'a duplicate top-level key',
      'escalation:\n  default: [a@example.com]\nescalation: {}\n',
      /^ {2}escalation \(line 3\): Map keys must be unique/m,
    ],
  ]

  for (const [name, yaml, expected] of cases) {
    const message = readRejection(t, yaml)
    t.match(message, /^policy file bad\.yaml is invalid:/, `${name}: names the file`)
    t.match(message, expected, `${name}: names path, line and expectation`)
  }
})

t.test('the regex check refuses only what RE2 cannot run, whatever its shape', async (t) => {
  const refused: [string, RegExp][] = [
    ['(?=x)', /^expected no lookahead \(\?= or \(\?!: lookahead is not supported by the linear/],
    ['a(?!b)', /^expected no lookahead/],
    ['(?<=a)b', /^expected no lookbehind .*\\b often does instead$/],
    ['(?<!\\d)1', /^expected no lookbehind/],
    ['(a)\\1', /^expected no backreferences \(\\1, \\k<name>\): they are not supported by/],
    ['(?<w>a)\\k<w>', /^expected no backreferences/],
    ['a{1001}', /^expected repetition counts of at most 1000: .* refuses \{1001\}$/],
    ['\\p{Letter}', /^expected a Unicode property .* such as \\p\{L\} .*; got \\p\{Letter\}$/],
    ['\\p{Han}', /^expected a valid JavaScript regular expression/],
    ['[\\b]', /^expected a pattern that the linear-time engine \(RE2\) accepts; it says: invalid/],
    ['x*', /^expected a pattern that cannot match empty text/],
    ['\\b', /^expected a pattern that cannot match empty text, not even at a word edge/],
    ['x*\\b', /^expected a pattern that cannot match empty text/],
    ['(?:foo|\\B)', /^expected a pattern that cannot match empty text/],
    ['VX\\d+', /^expected lower-case letters/],
  ]
  const accepted = [
    '(a+)+$',
    '(\\d+)*x',
    '(?:a*b?)+x',
    '((ab)+c){2}',
    '(\\d{3}-?){2}',
    '(?:foo|bar)+',
    '\\p{sc=Han}{2,}',
    '[\\p{Script=Han}a]+',
    '(?<word>ab)c',
    '[(+]+x',
  ]

  for (const [pattern, reason] of refused) t.match(findRegexProblem(pattern, ''), reason, pattern)
  for (const pattern of accepted) t.equal(findRegexProblem(pattern, ''), null, `accepts ${pattern}`)
  t.equal(findRegexProblem('VX\\d+', 'i'), null, 'capitals are fine with flags: i')
})

t.test('anchors are followed and numeric keywords are read as written', async (t) => {
  const yaml = [
    'team: &team [risk@example.com]',
    'rules:',
    '  - id: codes',
    '    keywords: [007, 69]',
    '    severity: low',
    '    actions: [escalate]',
    '    escalate_to: *team',
  ].join('\n')
  const message = readRejection(t, yaml)
  t.match(message, /^ {2}team \(line 1\): unknown field/m, 'the top level is checked too')

  const engine = compilePolicy(yaml.replace('team: &team', 'escalation:\n  default: &team'))
  t.same(findSpans(engine, 'agent 007 and 7'), [[6, 9, '007']])
  t.same(engine.evaluate(createInput('69'))[0]?.escalateTo, ['risk@example.com'])
  t.match(readRejection(t, 'rules: *nowhere\n'), /\(yaml\) \(line 1\): .*Unresolved alias/)
})

t.test(
  'the issues are also given as structured details, a missing field at its rule',
  async (t) => {
    try {
      compilePolicy('rules:\n  - id: Bad Id\n    keywords: [x]\n    actions: [nudge]\n', 'd.yaml')
      t.fail('policy was accepted')
    } catch (err) {
      t.match((err as { details: unknown }).details, {
        file: 'd.yaml',
        issues: [
          {
            path: 'rules[0].id',
            line: 2,
            message: /^expected an id of a-z, 0-9, - or _; got "Bad Id"/,
          },
          { path: 'rules[0].severity', line: 2, message: /^expected one of low, .*; got nothing$/ },
        ],
      })
    }
  },
)

t.test(
  'the shipped config/policy.yaml flags gambling, contact and insider talk only',
  async (t) => {
    const engine = await loadPolicyFile('config/policy.yaml')
    const ruleIdsOf = (text: string) => engine.evaluate(createInput(text)).map((hit) => hit.ruleId)

    t.equal(engine.ruleCount, 9)
    t.same(ruleIdsOf('今晚去澳门赌博吗'), ['no-gambling'])
    t.same(ruleIdsOf('这个不方便说，加微信详聊'), ['off-channel-contact'])
    t.same(ruleIdsOf('Ping me on WhatsApp'), ['off-channel-contact'])
    t.same(ruleIdsOf('I have an insider tip: guaranteed returns of 20%'), [
      'insider-information',
      'insider-information',
    ])
    t.same(ruleIdsOf('我的手机是13800138000'), ['personal-mobile-number'])
    t.same(ruleIdsOf('请在周五前把第三季度的销售报表发给我，谢谢。Meeting at 3pm in room 695.'), [])
  },
)

t.test('the policy version follows the file content and disabled rules are skipped', async (t) => {
  const shipped = await readFile('config/policy.yaml', 'utf8')
  const disabled = shipped.replace(
    '    severity: high\n',
    '    severity: high\n    enabled: false\n',
  )
  const engine = compilePolicy(disabled)

  const original = await loadPolicyFile('config/policy.yaml')
  t.not(engine.version, original.version)
  t.equal(engine.ruleCount, original.ruleCount - 1)
  t.same(engine.evaluate(createInput('赌博')), [])
})

t.test('an unreadable policy file fails with WARDEN_POLICY_INVALID', async (t) => {
  await t.rejects(loadPolicyFile('config/no-such-policy.yaml'), {
    code: 'WARDEN_POLICY_INVALID',
    message: /config\/no-such-policy\.yaml could not be read \(ENOENT\)/,
  })
})

t.test('evaluate never throws and every hit quotes the original text at its span', async (t) => {
  const engine = await loadPolicyFile('config/policy.yaml')
  const alphabet = [
    '赌',
    '博',
    'Ｇ',
    'a',
    'm',
    'b',
    'l',
    'e',
    ' ',
    '1',
    '３',
    '8',
    '\u0301',
    '\ud83c',
    '\udfb2',
    '\u200b',
    'ﬁ',
    'İ',
  ]
  let seed = 7
  const pick = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return alphabet[seed % alphabet.length]
  }

  for (let round = 0; round < 300; round++) {
    const text = Array.from({ length: 40 }, pick).join('')
    for (const hit of engine.evaluate(createInput(text))) {
      t.equal(text.slice(hit.start, hit.end), hit.matchedText)
    }
  }
  t.same(engine.evaluate({ ...createInput(''), text: null as unknown as string }), [])
})

t.test('a 200 000-character message is evaluated and its hit mapped to the end', async (t) => {
  // Speed lives in `npm run bench` (linearity of normalisation); this checks correctness only.
  const engine = await loadPolicyFile('config/policy.yaml')
  const text = `${'季度销售数据 notes 12345 '.repeat(10_000)}赌博`
  const hits = engine.evaluate(createInput(text))

  t.same(
    hits.map((hit) => [hit.ruleId, hit.start]),
    [['no-gambling', text.length - 2]],
  )
})

t.test(
  'the catastrophic patterns a tester found load and run over 10 000 characters',
  async (t) => {
    // Each of these freezes a backtracking engine on its adversarial input; tap's timeout is the
    // hang detector, so nothing here measures time.
    const runs = `${'a'.repeat(24)} `.repeat(400)
    const cases: [string, string, string, number[][]][] = [
      ['(a|a)*b', 'a'.repeat(10_000), `${'a'.repeat(10_000)}b`, [[0, 10_001]]],
      ['(\\w|\\d)+x', '1'.repeat(10_000), `${'1'.repeat(10_000)}x`, [[0, 10_001]]],
      ['(a?){25}a{25}', runs, `${runs}${'a'.repeat(25)}`, [[10_000, 10_025]]],
      ['(a+)+$', `${'a'.repeat(10_000)}!`, 'a'.repeat(10_000), [[0, 10_000]]],
    ]

    for (const [pattern, adversarial, matching, expected] of cases) {
      const engine = compileRegex(pattern)
      t.equal(engine.ruleCount, 1, `${pattern} is accepted at load`)
      t.same(
        findOffsets(engine, adversarial),
        [],
        `${pattern} finds nothing in its adversarial input`,
      )
      t.same(findOffsets(engine, matching), expected, `${pattern} finds the one real hit`)
    }
  },
)

t.test(
  'a regex hit after Chinese text and emoji has its UTF-16 span in the original',
  async (t) => {
    // re2-wasm counts in code points and normalisation turns ﬁ into two letters: both are undone.
    const engine = compileRegex('vx\\d{4}')
    const text = '客户说🎲😀 ﬁne，加ＶＸ１２３４ then 🎲vx5678'
    const hits = engine.evaluate(createInput(text))

    t.same(
      hits.map((hit) => [hit.start, hit.end, hit.matchedText, hit.normalised]),
      [
        [13, 19, 'ＶＸ１２３４', 'vx1234'],
        [27, 33, 'vx5678', 'vx5678'],
      ],
    )
    t.same(findOffsets(engine, '\ud83c vx1234 \udfb2'), [[2, 8]], 'a lone surrogate hides nothing')
  },
)

t.test('script properties are written as in JavaScript and run on RE2', async (t) => {
  const engine = compileRegex('[\\p{sc=Han}]{2}号')

  t.same(findSpans(engine, 'ab 手机号 x号'), [[3, 6, '手机号']])
})

t.test('a long message is read in windows that lose no hit at their edges', async (t) => {
  const filler = (length: number) => '季'.repeat(length)
  const parts = [filler(16_380), 'b12345678', filler(20_000), 'b', '7'.repeat(6_000), '季b1']
  const straddling = `${filler(16_380)}b1234567c${filler(100)}`

  t.same(
    findOffsets(compileRegex('b\\d+'), parts.join('')),
    [
      [16_380, 16_389],
      [36_389, 42_390],
      [42_391, 42_393],
    ],
    'a hit running past a window end is reported whole, even one longer than the overlap',
  )
  t.same(findOffsets(compileRegex('b\\d+c'), straddling), [[16_380, 16_389]], 'seen in the overlap')
})

t.test('empty matches are stepped over and matches are capped per rule and message', async (t) => {
  // The policy check refuses patterns that match empty text; the matcher copes regardless.
  t.same(compileRegexMatcher('x*\\b', '').findSpans('xx yy'), [{ start: 0, end: 2 }])
  t.same(compileRegexMatcher('\\b', '').findSpans('a '.repeat(100_000)), [], 'ends without hits')

  const hits = compileRegex('\\d').evaluate(createInput('1 '.repeat(20_000)))
  t.equal(hits.length, MAX_REGEX_HITS)
  t.equal(hits.at(-1)?.start, 2 * (MAX_REGEX_HITS - 1))
})

t.test('a pattern too large for the engine is refused and leaves the engine working', async (t) => {
  // Each attempt really fills re2-wasm's fixed 16 MiB heap (and prints Emscripten's complaint
  // to stderr); what matters is that the next regex still runs.
  const tooLarge = '\\p{L}{100}'

  t.match(
    findRegexProblem(tooLarge, ''),
    /^expected a smaller pattern: it does not fit in the memory/,
  )
  t.throws(() => compileRegexMatcher(tooLarge, '').findSpans('abc'), {
    code: 'WARDEN_INTERNAL',
    details: { reason: 'policy regex could not be run', pattern: tooLarge },
  })
  t.same(findOffsets(compileRegex('vx\\d+'), `${'中'.repeat(50_000)}vx12`), [[50_000, 50_004]])
})

t.test('X01n: a keyword read across what may be a word break is a REVIEW hit', async (t) => {
  const engine = compileKeywords(['赌博'])
  const [hit, ...rest] = engine.evaluate(createInput('我打赌 博物馆今天关门'))

  t.equal(rest.length, 0)
  t.match(hit, { verdict: 'REVIEW', start: 2, end: 5, matchedText: '赌 博' })
  t.equal(hit?.reason, 'keyword read across what may be a word break')
  t.same(
    engine.evaluate(createInput('赌 博')).map((found) => [found.verdict, found.reason]),
    [['FLAG', undefined]],
    'the same gap with nothing either side is read through (X01)',
  )
})
