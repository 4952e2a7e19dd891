// Every row of shared/cases/evasion.md, and every kind listed under it, against the example
// rule set that file describes. Verdicts: FLAG, REVIEW (at most), PASS.
import t, { type Test } from 'tap'
import { compilePolicy } from '../src/policy/load-policy.js'
import { createInput } from './helpers/policy.js'

const POLICY = compilePolicy(`
rules:
  - id: keywords
    keywords: [赌博, 转账, 大麻, 微信]
    severity: high
    actions: [nudge]
  - id: number-69
    keywords: ['69']
    severity: low
    actions: [nudge]
  - id: contact
    proximity:
      of: [{detector: contact-word}, {detector: cn-mobile}]
      within: 12
    severity: high
    actions: [nudge]
  - id: pinyin-contact
    keywords: [jia weixin, jia wei xin, jiaweixin]
    severity: medium
    actions: [nudge]
  - id: mobile
    detector: cn-mobile
    severity: medium
    actions: [nudge]
  - id: id-card
    detector: cn-id-card
    severity: high
    actions: [nudge]
  - id: bank-card
    detector: bank-card
    severity: high
    actions: [nudge]
`)

/** A policy of keyword rules only, each `id: [keywords]`. */
function compileKeywordRules(rules: Record<string, string[]>) {
  const lines = Object.entries(rules).flatMap(([id, keywords]) => [
    `  - id: ${id}`,
    `    keywords: [${keywords.map((k) => JSON.stringify(k)).join(', ')}]`,
    '    severity: high',
    '    actions: [nudge]',
  ])
  return compilePolicy(['rules:', ...lines].join('\n'))
}

function check(text: string) {
  const hits = POLICY.evaluate({
    text,
    fromUser: 'user_a',
    channel: 'app-callback',
    msgType: 'text',
  })
  const verdict = hits.some((h) => h.verdict === 'FLAG') ? 'FLAG' : hits.length ? 'REVIEW' : 'PASS'
  return { verdict, hits }
}

function expectFlag(t: Test, text: string, rule: string, matched?: string) {
  const { verdict, hits } = check(text)
  t.equal(verdict, 'FLAG', `${JSON.stringify(text)} is flagged`)
  const hit = hits.find((h) => h.ruleId === rule && h.verdict === 'FLAG')
  t.ok(hit, `by ${rule}`)
  if (hit) t.equal(text.slice(hit.start, hit.end), hit.matchedText, 'the span is in the original')
  // A gapped hit's normalised form keeps what was skipped; its letters are the keyword.
  if (hit && matched) t.equal(hit.normalised.replace(/[^\p{L}\p{N}]/gu, ''), matched)
}

function expectAtMostReview(t: Test, text: string) {
  t.not(check(text).verdict, 'FLAG', `${JSON.stringify(text)} is not flagged`)
}

t.test('X01 separators and punctuation between characters', async (t) => {
  for (const text of ['赌 博', '赌.博', '赌@#￥%博', '赌——博', '赌\u3000博']) {
    expectFlag(t, text, 'keywords', '赌博')
  }
})

t.test('X01n the same skipping across a word boundary is REVIEW at most', async (t) => {
  expectAtMostReview(t, '我打赌 博物馆今天关门')
})

t.test('X02 zero-width and invisible characters', async (t) => {
  expectFlag(t, '赌\u200B博', 'keywords', '赌博')
  expectFlag(t, '转\uFEFF账', 'keywords', '转账')
  expectFlag(t, '赌\u00AD博', 'keywords', '赌博')
})

t.test('X03 emoji between characters', async (t) => {
  expectFlag(t, '赌🎲博', 'keywords', '赌博')
  expectFlag(t, '转💰账', 'keywords', '转账')
})

t.test('X04 traditional and variant characters, with the original kept', async (t) => {
  expectFlag(t, '賭博', 'keywords', '赌博')
  expectFlag(t, '轉帳', 'keywords', '转账')
  const { hits } = check('轉帳')
  t.equal(hits[0]?.matchedText, '轉帳', 'the hit quotes the original characters')
})

t.test('X05 full-width letters and digits', async (t) => {
  expectFlag(t, '加ＶＸ：１３８００１３８０００', 'contact')
  expectFlag(t, '加ＶＸ：１３８００１３８０００', 'mobile')
  expectFlag(t, '６２２２ ０２０２ ０２０２ ０２０９', 'bank-card')
})

t.test('X07 ID numbers with the X check digit; a bad checksum is REVIEW', async (t) => {
  for (const text of [
    '身份证11010519491231002X',
    '身份证11010519491231002x',
    '110105 19491231 002X',
  ]) {
    expectFlag(t, text, 'id-card')
  }
  const bad = check('110105194912310021')
  t.equal(bad.verdict, 'REVIEW')
  t.equal(bad.hits[0]?.ruleId, 'id-card')
})

t.test('X09 pinyin for contact solicitation', async (t) => {
  expectFlag(t, '加weixin 13800138000', 'contact')
  expectFlag(t, 'jia wei xin', 'pinyin-contact')
})

t.test('X09n a homophone that is an ordinary word', async (t) => {
  expectAtMostReview(t, '威信')
})

t.test('X10 word boundaries for Latin and digit keywords', async (t) => {
  t.equal(check('trade deficit totaled 695 billion yen').verdict, 'PASS')
  expectFlag(t, 'room 69 please', 'number-69')
})

t.test('a digit keyword does not hit a decimal number: 69 in 69.5 passes', async (t) => {
  for (const text of ['股价 69.5 元', 'rated 69.5 out of 100', 'up 1.69 today', '６９．５']) {
    t.equal(check(text).verdict, 'PASS', text)
  }
  expectFlag(t, 'room 69. next', 'number-69')
})

t.test('kind: Arabic-Indic, Devanagari, Thai and full-width digits hiding numbers', async (t) => {
  expectFlag(t, '١٣٨٠٠١٣٨٠٠٠', 'mobile')
  expectFlag(t, '۱۳۸۰۰۱۳۸۰۰۰', 'mobile')
  expectFlag(t, '१३८००१३८०००', 'mobile')
  expectFlag(t, '๑๓๘๐๐๑๓๘๐๐๐', 'mobile')
  expectFlag(t, '１３８００１３８０００', 'mobile')
})

t.test('kind: small capitals, Cherokee letters and enclosed letters read as Latin', async (t) => {
  const policy = compileKeywordRules({ casino: ['casino'] })
  for (const text of ['ϲasino', 'ᴄasino', 'ᴄᴀsɪɴᴏ', 'Ꮯasino', 'ꮯasino', '🅒asino', '🅲🅰🆂🅸🅽🅾']) {
    const hits = policy.evaluate(createInput(text))
    t.equal(hits.length, 1, `${JSON.stringify(text)} reads as casino`)
  }
})

t.test('kind: Chinese, financial and circled digits hiding numbers', async (t) => {
  expectFlag(t, '幺三八零零幺三八零零零', 'mobile')
  expectFlag(t, '壹叁捌零零壹叁捌零零零', 'mobile')
  expectFlag(t, '①③⑧⓪⓪①③⑧⓪⓪⓪', 'mobile')
})

t.test('kind: look-alike letters from other scripts and compatibility blocks', async (t) => {
  const policy = compileKeywordRules({ casino: ['casino'] })
  for (const text of ['саsino', 'cαsino', 'ｃａｓｉｎｏ', 'ca\u0301sino', 'CASİNO']) {
    const hits = policy.evaluate(createInput(text))
    t.equal(hits.length, 1, `${JSON.stringify(text)} reads as casino`)
  }
})

t.test('kind: a short keyword is not missed because a longer one starts with it', async (t) => {
  const policy = compileKeywordRules({ short: ['赌'], long: ['赌博机'] })
  const rules = policy.evaluate(createInput('他玩赌博机')).map((hit) => hit.ruleId)
  t.same(rules.sort(), ['long', 'short'])
})

t.test('kind: repeated characters and keywords that themselves repeat', async (t) => {
  expectFlag(t, '加我微微信信', 'keywords', '微信')
  const policy = compileKeywordRules({ haha: ['哈哈'] })
  t.equal(policy.evaluate(createInput('哈')).length, 0, 'one 哈 is not 哈哈')
  t.ok(policy.evaluate(createInput('哈哈哈')).length >= 1)
})
