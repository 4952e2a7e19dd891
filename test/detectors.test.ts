import t, { type Test } from 'tap'
import { isWardenError } from '../src/errors/warden-error.js'
import { detectBankCard, passesLuhn } from '../src/policy/detectors/bank-card.js'
import { checkIdNumber, detectCnIdCard } from '../src/policy/detectors/cn-id-card.js'
import { detectCnMobile } from '../src/policy/detectors/cn-mobile.js'
import type { Detector } from '../src/policy/detectors/detector-hit.js'
import { detectEmail } from '../src/policy/detectors/email.js'
import { readDigit } from '../src/policy/detectors/read-digit.js'
import { compilePolicy, loadPolicyFile } from '../src/policy/load-policy.js'
import type { PolicyEngine, PolicyInput } from '../src/policy/types.js'
import { createInput, readRejection } from './helpers/policy.js'

const shipped = await loadPolicyFile('config/policy.yaml')

/** [rule, verdict, start, end] of every hit, in text order. */
function listHits(engine: PolicyEngine, text: string) {
  return engine
    .evaluate(createInput(text))
    .map((hit) => [hit.ruleId, hit.verdict, hit.start, hit.end])
}

function listSpans(detect: Detector, text: string) {
  return detect(text).map((hit) => [hit.start, hit.end, hit.verdict, hit.value])
}

function compileRules(rules: string): PolicyEngine {
  return compilePolicy(`rules:\n${rules}`, 'rules.yaml')
}

t.test('X05: 加ＶＸ with a full-width number is flagged as contact and as a mobile', async (t) => {
  const text = '加ＶＸ：１３８００１３８０００'

  t.same(listHits(shipped, text), [
    ['contact-solicitation', 'FLAG', 1, 15],
    ['personal-mobile-number', 'FLAG', 4, 15],
  ])
  const [contact] = shipped.evaluate(createInput(text))
  t.equal(contact?.matchedText, 'ＶＸ：１３８００１３８０００')
  t.equal(contact?.normalised, 'vx … 13800138000')
  // Only letters and digits count as distance: the full-width colon is free.
  t.equal(contact?.reason, '"vx" and mobile number, 0 characters apart')
})

t.test('X05: a full-width grouped UnionPay number that passes Luhn is a bank card', async (t) => {
  const text = '６２２２ ０２０２ ０２０２ ０２０９'

  t.ok(passesLuhn('6222020202020209'), 'the issue example passes Luhn')
  t.same(listHits(shipped, text), [['bank-card-number', 'FLAG', 0, 19]])
  t.same(listSpans(detectBankCard, `卡号${text}`), [[2, 21, 'FLAG', '6222020202020209']])
  t.same(listSpans(detectBankCard, '4111-1111-1111-1111 到期'), [
    [0, 19, 'FLAG', '4111111111111111'],
  ])
})

t.test('a card number that fails Luhn or is a valid ID number is not a bank card', async (t) => {
  t.notOk(passesLuhn('6222020202020201'))
  t.same(detectBankCard('6222 0202 0202 0201'), [], 'Luhn failure: not reported at all')
  t.same(detectBankCard('2222 0202 0202 0209 0'), [], 'first digit outside 3–6')
  t.same(detectBankCard('62220202020202090'), [], 'glued to a 17th digit: fails Luhn')
  t.ok(passesLuhn('440106198001010019') && checkIdNumber('440106198001010019') === 'valid')
  t.same(detectBankCard('440106198001010019'), [], 'a valid ID number is left to cn-id-card')
  t.same(listSpans(detectCnIdCard, '440106198001010019'), [[0, 18, 'FLAG', '440106198001010019']])
})

t.test(
  'X07: ID numbers with an X check digit, upper or lower case or grouped, are flagged',
  async (t) => {
    t.same(listHits(shipped, '身份证11010519491231002X'), [['resident-id-number', 'FLAG', 3, 21]])
    t.same(listHits(shipped, '身份证11010519491231002x'), [['resident-id-number', 'FLAG', 3, 21]])
    t.same(listHits(shipped, '110105 19491231 002X'), [['resident-id-number', 'FLAG', 0, 20]])
    t.same(listSpans(detectCnIdCard, '１１０１０５１９４９１２３１００２Ｘ'), [
      [0, 18, 'FLAG', '11010519491231002X'],
    ])
  },
)

t.test('X07: a bad checksum lowers a FLAG rule to REVIEW instead of dropping it', async (t) => {
  const [hit, ...rest] = shipped.evaluate(createInput('110105194912310021'))

  t.equal(rest.length, 0)
  t.match(hit, { ruleId: 'resident-id-number', verdict: 'REVIEW', start: 0, end: 18 })
  t.equal(hit?.reason, 'resident ID number whose checksum fails')
  t.equal(checkIdNumber('110105194912310021'), 'bad-checksum')
})

t.test('an ID number needs a real birth date between 1900 and this year', async (t) => {
  const thisYear = new Date().getUTCFullYear()
  t.same(detectCnIdCard('110105194902290021'), [], '1949 had no 29 February')
  t.same(detectCnIdCard('11010519491331002X'), [], 'month 13')
  t.same(detectCnIdCard('110105189912310021'), [], '1899 is too early')
  t.same(detectCnIdCard(`110105${thisYear + 1}01010021`), [], 'next year is too late')
  t.equal(checkIdNumber('110105200002290020'), 'bad-checksum', '2000 was a leap year')
  t.same(detectCnIdCard('1101051949123100211'), [], 'inside a longer digit run')
})

t.test('X09: 加weixin followed by a number is flagged as contact solicitation', async (t) => {
  t.same(listHits(shipped, '加weixin 13800138000'), [
    ['contact-solicitation', 'FLAG', 1, 19],
    ['personal-mobile-number', 'FLAG', 8, 19],
  ])
  t.same(listHits(shipped, '13800138000 是我的wechat'), [
    ['personal-mobile-number', 'FLAG', 0, 11],
    ['contact-solicitation', 'FLAG', 0, 21],
  ])
})

t.test('X09: jia wei xin with no number is flagged by the off-channel keyword rule', async (t) => {
  // A contact word alone proves no solicitation (X09n), so the proximity rule stays quiet; the
  // pinyin phrase "add WeChat" is itself a keyword of off-channel-contact. With a number, the
  // sure reading `wei xin` is paired, not `jiaweixin` read across two spaces.
  t.same(listHits(shipped, 'jia wei xin'), [['off-channel-contact', 'FLAG', 0, 11]])
  t.same(listHits(shipped, 'jia wei xin 13800138000'), [
    ['off-channel-contact', 'FLAG', 0, 11],
    ['contact-solicitation', 'FLAG', 4, 23],
    ['personal-mobile-number', 'FLAG', 12, 23],
  ])
})

t.test('X09n: 威信 alone, an ordinary word for prestige, is not flagged', async (t) => {
  t.same(listHits(shipped, '威信'), [])
  t.same(listHits(shipped, '他在行里很有威信'), [])
})

t.test('an email address is found with a full-width ＠ and ends before a full stop', async (t) => {
  t.same(listSpans(detectEmail, '发到 zhang.san＠example.com 就行'), [
    [3, 24, 'FLAG', 'zhang.san@example.com'],
  ])
  t.same(listSpans(detectEmail, 'ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ'), [
    [0, 16, 'FLAG', 'test@example.com'],
  ])
  t.same(listSpans(detectEmail, 'a@qq。com'), [[0, 8, 'FLAG', 'a@qq.com']])
  t.same(listSpans(detectEmail, 'Mail A@Ex.com。Thanks'), [[5, 13, 'FLAG', 'a@ex.com']])
  t.same(listSpans(detectEmail, 'a@b@c.com, x.@y.com'), [[2, 9, 'FLAG', 'b@c.com']])
  for (const text of ['@张三 请看', 'x@localhost', 'a@-b.com', 'a@b.c0m', '..@b.com']) {
    t.same(detectEmail(text), [], `no address in ${text}`)
  }
  t.same(listHits(shipped, '邮箱 li.si@example.cn'), [['email-address', 'REVIEW', 3, 19]])
})

t.test('a mobile number inside a longer run of digits is not reported', async (t) => {
  t.same(detectCnMobile('order 138001380001 and 2138001380000'), [])
  t.same(detectCnMobile('6222 0202 0202 0209'), [], 'a grouped card number holds no mobile')
  t.same(detectCnMobile('110105 19491231 002X'), [], 'nor does a grouped ID number')
  t.same(listSpans(detectCnMobile, '13800138000一下'), [[0, 11, 'FLAG', '13800138000']])
  t.same(listSpans(detectCnMobile, '138 0013 8000 / 13900139000'), [
    [0, 13, 'FLAG', '13800138000'],
    [16, 27, 'FLAG', '13900139000'],
  ])
})

t.test('a mobile number keeps its +86 or 0086 prefix in the span', async (t) => {
  t.same(listSpans(detectCnMobile, '电话 +86 138-0013-8000'), [[3, 20, 'FLAG', '13800138000']])
  t.same(listSpans(detectCnMobile, '008613800138000'), [[0, 15, 'FLAG', '13800138000']])
  t.same(listSpans(detectCnMobile, '(+86)13800138000'), [[5, 16, 'FLAG', '13800138000']])
  t.same(detectCnMobile('8712800138000'), [], 'thirteen digits without 86 in front')
})

t.test('a phone number in Chinese numerals with 幺 is reported by cn-mobile', async (t) => {
  const text = '打幺三八零零幺三八零零零'

  t.same(listSpans(detectCnMobile, text), [[1, 12, 'FLAG', '13800138000']])
  t.same(listHits(shipped, text), [['personal-mobile-number', 'FLAG', 1, 12]])
  t.same(listSpans(detectCnMobile, '①③⑧ 〇〇①③⑧ 〇〇〇'), [[0, 13, 'FLAG', '13800138000']])
  t.same(listSpans(detectCnMobile, '壹叁捌零零壹叁捌零零零'), [[0, 11, 'FLAG', '13800138000']])
})

t.test('the digit reader knows the digit forms people write and nothing else', async (t) => {
  const digits: [string, number | null][] = [
    ['7', 7],
    ['７', 7],
    ['〇', 0],
    ['幺', 1],
    ['贰', 2],
    ['貳', 2],
    ['玖', 9],
    ['①', 1],
    ['⑨', 9],
    ['⑸', 5],
    ['⒊', 3],
    ['❽', 8],
    ['⓪', 0],
    ['¹', 1],
    ['⁹', 9],
    ['₀', 0],
    ['𝟘', 0],
    ['𝟿', 9],
    ['⑩', null],
    ['十', null],
    ['a', null],
    ['X', null],
  ]
  for (const [char, digit] of digits) {
    t.equal(readDigit(char.codePointAt(0) as number), digit, `${char} reads as ${digit}`)
  }
})

t.test('a proximity pairs its sides in either order within N visible characters', async (t) => {
  const engine = compileRules(
    [
      '  - id: near',
      '    proximity:',
      '      of: [{keywords: [转账]}, {regex: "\\\\d{4}"}]',
      '      within: 3',
      '    severity: low',
      '    actions: [nudge]',
    ].join('\n'),
  )

  t.same(listHits(engine, '转账 1234'), [['near', 'FLAG', 0, 7]])
  t.same(listHits(engine, '1234 元已转账'), [['near', 'FLAG', 0, 9]])
  t.same(listHits(engine, '转账\u200b\u200b\u200b\u200b 1234'), [['near', 'FLAG', 0, 11]])
  t.same(listHits(engine, '转账还没有到 1234'), [], 'four characters apart')
  t.same(listHits(engine, '转账'), [])
})

t.test('a proximity hit is REVIEW when either side doubts its match', async (t) => {
  const engine = compileRules(
    [
      '  - id: id-shared',
      '    proximity:',
      '      of: [{keywords: [身份证]}, {detector: cn-id-card}]',
      '      within: 5',
      '    severity: high',
      '    actions: [nudge]',
    ].join('\n'),
  )
  const [hit] = engine.evaluate(createInput('身份证号 110105194912310021'))

  t.match(hit, { verdict: 'REVIEW', start: 0, end: 23 })
  // 号 counts, the space does not.
  t.equal(hit?.reason, '"身份证" and resident ID number whose checksum fails, 1 character apart')
  t.same(listHits(engine, '身份证号 11010519491231002X'), [['id-shared', 'FLAG', 0, 23]])
})

t.test('a REVIEW rule keeps its hits at REVIEW whatever the detector says', async (t) => {
  const engine = compileRules(
    '  - id: phones\n    detector: cn-mobile\n    verdict: REVIEW\n' +
      '    severity: low\n    actions: [nudge]\n',
  )
  t.same(listHits(engine, '13800138000'), [['phones', 'REVIEW', 0, 11]])
})

t.test('listRules gives every enabled rule with its examples, or empty lists', async (t) => {
  const engine = compileRules(
    [
      '  - id: mail',
      '    detector: email',
      '    severity: low',
      '    actions: [nudge]',
      "    examples: {hit: ['a@b.cn'], miss: ['@b']}",
      '  - id: words',
      '    keywords: [赌博]',
      '    severity: low',
      '    actions: [nudge]',
      '  - id: off',
      '    keywords: [x]',
      '    severity: low',
      '    actions: [nudge]',
      '    enabled: false',
    ].join('\n'),
  )

  t.same(engine.listRules(), [
    { id: 'mail', version: 1, description: 'Mail', examples: { hit: ['a@b.cn'], miss: ['@b'] } },
    { id: 'words', version: 1, description: 'Words', examples: { hit: [], miss: [] } },
  ])
})

t.test('every shipped rule hits its hit examples and none of its miss examples', async (t) => {
  const rules = shipped.listRules()
  t.equal(rules.length, shipped.ruleCount)

  for (const rule of rules) {
    t.ok(rule.examples.hit.length > 0 && rule.examples.miss.length > 0, `${rule.id} has both`)
    const hitsOf = (text: string) =>
      shipped.evaluate(createInput(text)).filter((hit) => hit.ruleId === rule.id)
    for (const text of rule.examples.hit) t.ok(hitsOf(text).length > 0, `${rule.id} hits ${text}`)
    for (const text of rule.examples.miss) t.same(hitsOf(text), [], `${rule.id} misses ${text}`)
  }
})

t.test('rule kinds and examples are validated with path and line', async (t) => {
  const rule = (body: string) =>
    `rules:\n  - id: a\n    severity: low\n    actions: [nudge]\n${body}`
  const proximity = (of: string, within = '      within: 3\n') =>
    rule(`    proximity:\n      of: ${of}\n${within}`)
  // [case, policy, path (line), start of the message]
  const cases: [string, string, string, string][] = [
    [
      'unknown detector name',
      rule('    detector: cn-phone\n'),
      'rules[0].detector (line 5)',
      'expected one of cn-mobile, cn-id-card, bank-card, email, contact-word; got "cn-phone"',
    ],
    [
      'proximity without within',
      proximity('[{detector: email}, {keywords: [x]}]', ''),
      'rules[0].proximity.within (line 6)',
      'expected a whole number of characters from 0 to 200; got nothing',
    ],
    [
      'within too large',
      proximity('[{detector: email}, {keywords: [x]}]', '      within: 500\n'),
      'rules[0].proximity.within (line 7)',
      'expected a whole number of characters from 0 to 200; got number 500',
    ],
    [
      'proximity with one side',
      proximity('[{detector: email}]'),
      'rules[0].proximity.of (line 6)',
      'expected a list of two matchers; got 1',
    ],
    [
      'nested proximity',
      proximity('[{proximity: {}}, {detector: email}]'),
      'rules[0].proximity.of[0].proximity (line 6)',
      'unknown field; expected one of keywords, regex, flags, detector',
    ],
    [
      'a side with two matchers',
      proximity("[{detector: email, regex: 'x'}, {keywords: [y]}]"),
      'rules[0].proximity.of[0] (line 6)',
      'expected exactly one of regex or detector; got both',
    ],
    [
      'a bad regex inside a proximity',
      proximity("[{regex: '(?=x)'}, {keywords: [y]}]"),
      'rules[0].proximity.of[0].regex (line 6)',
      'expected no lookahead',
    ],
    [
      'detector and keywords',
      rule('    detector: email\n    keywords: [x]\n'),
      'rules[0] (line 2)',
      'expected exactly one of keywords or detector; got both',
    ],
    [
      'no matcher',
      rule(''),
      'rules[0] (line 2)',
      'expected exactly one of keywords, regex, detector or proximity; got none',
    ],
    [
      'example that is not text',
      rule('    detector: email\n    examples:\n      hit: [a@b.cn, 42]\n'),
      'rules[0].examples.hit[1] (line 7)',
      'expected an example text; got number 42',
    ],
    [
      'blank example',
      rule("    detector: email\n    examples: {miss: ['  ']}\n"),
      'rules[0].examples.miss[0] (line 6)',
      'expected an example text; got "  "',
    ],
    [
      'unknown example field',
      rule('    detector: email\n    examples: {hits: [a]}\n'),
      'rules[0].examples.hits (line 6)',
      'unknown field; expected one of hit, miss',
    ],
  ]

  for (const [name, yaml, location, expected] of cases) {
    const message = readRejection(t, yaml)
    t.ok(message.includes(`\n  ${location}: ${expected}`), `${name}: ${message}`)
  }
})

t.test('detectors never throw and every hit quotes the original at its span', async (t) => {
  // Whole numbers and addresses among the pieces, so that some texts do contain hits.
  const pieces = ['13800138000', '11010519491231002', '6222020202020209', 'a@b.cn', '+86']
  const loneSurrogates = ['\ud83c', '\udfb2']
  const alphabet = [
    ...pieces,
    ...loneSurrogates,
    ...Array.from('0123456789１３８幺三八零①⑧ -.\u3000\u200bXx@＠。abc.com\ud83c\udfb2'),
  ]
  const detectors = [detectCnMobile, detectCnIdCard, detectBankCard, detectEmail]
  let seed = 11
  const pick = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return alphabet[seed % alphabet.length]
  }

  let hits = 0
  for (let round = 0; round < 400; round++) {
    const text = Array.from({ length: 30 }, pick).join('')
    for (const detect of detectors) {
      for (const hit of detect(text)) {
        hits++
        t.equal(text.slice(hit.start, hit.end), hit.text)
      }
    }
  }
  t.ok(hits > 0, 'the random texts did contain something to find')
})

t.test('detectors read 200 000 characters of digits, separators and @ signs', async (t) => {
  // Linearity is what matters; tap's timeout is the hang detector.
  const texts = [
    '1 '.repeat(100_000),
    '1'.repeat(200_000),
    'a@'.repeat(100_000),
    '。@a'.repeat(60_000),
  ]
  for (const text of texts) {
    t.same(detectCnMobile(text), [])
    t.same(detectCnIdCard(text), [])
    t.same(detectBankCard(text), [])
    t.same(detectEmail(text), [])
  }
  const phones = '13800138000 '.repeat(20_000)
  t.equal(detectCnMobile(phones).length, 20_000)
})

t.test('padding with spaces or emoji does not pull a proximity pair apart', async (t) => {
  const engine = await loadPolicyFile('config/policy.yaml')
  const rulesOf = (text: string) => engine.evaluate(createInput(text)).map((hit) => hit.ruleId)
  t.ok(rulesOf(`VX ${'👉'.repeat(8)} lucky_2024`).includes('contact-solicitation-handle'))
  t.ok(rulesOf(`VX${' '.repeat(9)}lucky_2024`).includes('contact-solicitation-handle'))
  t.ok(rulesOf(`VX ${'🌸'.repeat(13)} 13800138000`).includes('contact-solicitation'))
  t.ok(rulesOf(`VX${'．'.repeat(20)}13800138000`).includes('contact-solicitation'))
})

t.test('X09n prestige next to a phone number is not contact solicitation', async (t) => {
  const engine = await loadPolicyFile('config/policy.yaml')
  const hits = engine.evaluate(createInput('他很有威信，电话 13800138000'))
  t.same(
    hits.map((hit) => hit.ruleId),
    ['personal-mobile-number'],
  )
})

t.test('a courier code that looks like a mobile (SF13800138000) is not flagged', async (t) => {
  t.same(listHits(shipped, 'SF13800138000'), [['personal-mobile-number', 'REVIEW', 2, 13]])
  t.same(listHits(shipped, '快递单号ＳＦ13800138000，明天到'), [
    ['personal-mobile-number', 'REVIEW', 6, 17],
  ])
  const [hit] = detectCnMobile('SF13800138000')
  t.match(hit?.reason, /glued to letters/)
  // Letters that ask for a contact are no courier code.
  t.same(listSpans(detectCnMobile, 'vx13800138000'), [[2, 13, 'FLAG', '13800138000']])
})

t.test(
  'an order number holding a mobile-like stretch (订单号 202412041380013800) passes',
  async (t) => {
    t.same(listHits(shipped, '订单号 202412041380013800'), [])
  },
)

t.test('an image name like logo@2x.png is not an email address', async (t) => {
  t.same(detectEmail('logo@2x.png'), [])
  t.same(listHits(shipped, '请用 logo@2x.png 和 icon@3x.webp'), [])
  t.same(listSpans(detectEmail, 'mail ops@2x.com'), [[5, 15, 'FLAG', 'ops@2x.com']])
})

t.test('Arabic-Indic, Devanagari, Thai and full-width digits make a mobile number', async (t) => {
  const written = [
    '١٣٨٠٠١٣٨٠٠٠',
    '۱۳۸۰۰۱۳۸۰۰۰',
    '१३८००१३८०००',
    '๑๓๘๐๐๑๓๘๐๐๐',
    '１３８００１３８０００',
  ]
  for (const text of written) {
    t.same(listSpans(detectCnMobile, `电话 ${text}`), [[3, 14, 'FLAG', '13800138000']], text)
  }
  t.equal(readDigit('٧'.codePointAt(0) as number), 7)
  t.equal(readDigit('๙'.codePointAt(0) as number), 9)
})

t.test('the Roman numeral Ⅹ and Cyrillic or Greek Х count as the ID check digit X', async (t) => {
  for (const x of ['Ⅹ', 'ⅹ', 'Х', 'х', 'Χ']) {
    t.same(
      listSpans(detectCnIdCard, `身份证11010519491231002${x}`),
      [[3, 21, 'FLAG', '11010519491231002X']],
      x,
    )
  }
})
