import t from 'tap'
import { useRe2 } from '../src/policy/re2-pool.js'
import { findRequiredLiterals, foldLiteralChar } from '../src/policy/regex-literals.js'
import { compileRegexMatcher } from '../src/policy/regex-matcher.js'
import { RegexPrefilter } from '../src/policy/regex-prefilter.js'

t.test('a regex yields the literals every match must contain', async (t) => {
  const cases: Array<[string, string, string[] | null]> = [
    ['ref-12-\\d{4}-[a-z]{3}', '', ['ref-12-']],
    ['vx\\d+', '', ['vx']],
    ['(?:wechat|weixin)\\s*id', '', ['wechat', 'weixin']],
    ['(?:wechat|weixin)id', '', ['wechatid', 'weixinid']],
    ['colou?r', '', ['color', 'colour']],
    ['[ab]c', '', ['ac', 'bc']],
    ['(?<code>sf)\\d{12}', '', ['sf']],
    ['ab{2}c', '', ['abbc']],
    ['\\u{4e2d}\\x41', 'i', ['中a']],
    ['REF-\\d+', 'i', ['ref-']],
  ]
  for (const [pattern, flags, expected] of cases) {
    t.same(findRequiredLiterals(pattern, flags)?.sort() ?? null, expected, pattern)
  }
})

t.test('a regex that can match without any literal gets no prefilter', async (t) => {
  const always = ['\\d{11}', 'a*b*', 'x?', '[^a]c?', '(a|\\d)z?', '.+', 'a|b*', '(?:ab)*']
  for (const pattern of always) t.equal(findRequiredLiterals(pattern, ''), null, pattern)
})

t.test(
  'a construct the reader does not know gives no prefilter rather than a wrong one',
  async (t) => {
    for (const pattern of ['(a)\\1x', '\\k<n>x', 'x\\cJ', '\\0x', '(?=ab)ab']) {
      t.equal(findRequiredLiterals(pattern, ''), null, pattern)
    }
    // In a case-insensitive pattern a cased letter beyond ASCII has other cases: any character.
    t.same(findRequiredLiterals('σx\\d', 'i'), ['x'])
    t.same(findRequiredLiterals('σx\\d', ''), ['σx'])
  },
)

t.test('RE2 matches only the Kelvin sign and long s to ASCII letters beyond ASCII', async (t) => {
  // The prefilter folds exactly these: if RE2 matched any other, a literal could be missed.
  const matched: number[] = []
  for (let first = 0x80; first <= 0x10ffff; first += 0x4000) {
    let chunk = ''
    for (let code = first; code < Math.min(first + 0x4000, 0x110000); code++) {
      if (code < 0xd800 || code > 0xdfff) chunk += String.fromCodePoint(code)
    }
    useRe2('[a-z]', 'i', (regex) => {
      regex.lastIndex = 0
      for (let match = regex.exec(chunk); match; match = regex.exec(chunk)) {
        matched.push((match[0] ?? '').codePointAt(0) as number)
      }
    })
  }
  t.same(matched, [0x17f, 0x212a])
  t.same(
    matched.map((code) => String.fromCharCode(foldLiteralChar(code))),
    ['s', 'k'],
  )
})

t.test('the prefilter never skips a regex that RE2 would match (fuzz)', async (t) => {
  const patterns = ['ab\\d', 'b[ac]a', '(?:ca|ab)c?', 'a.b', 'ba|ca', 'k\\d', 'x{2}y', 'c(?:a|b)+c']
  const prefilter = new RegexPrefilter()
  const rules = patterns.flatMap((pattern) =>
    ['', 'i'].map((flags) => ({
      pattern,
      flags,
      literals: prefilter.register(pattern, flags),
      matcher: compileRegexMatcher(pattern, flags),
    })),
  )
  const alphabet = ['a', 'b', 'c', 'x', 'y', 'k', 'K', '\u212a', 'A', '1', ' ', '中']
  let state = 7
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
    return state / 4_294_967_296
  }
  let matched = 0
  let skipped = 0
  for (let round = 0; round < 3000; round++) {
    const length = 1 + Math.floor(random() * 10)
    const text = Array.from({ length }, () => alphabet[Math.floor(random() * 12)]).join('')
    for (const rule of rules) {
      const spans = rule.matcher.findSpans(text)
      const runs = rule.literals === null || prefilter.holdsAny(text, rule.literals)
      if (spans.length > 0 && !runs) {
        t.fail(`${rule.pattern} /${rule.flags} skipped on ${JSON.stringify(text)}`)
        return
      }
      if (spans.length > 0) matched++
      if (!runs) skipped++
    }
  }
  t.ok(matched > 1000, `${matched} matches all ran`)
  t.ok(skipped > 1000, `${skipped} regex calls were spared`)
})
