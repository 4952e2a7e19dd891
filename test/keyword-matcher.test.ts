import t from 'tap'
import { AhoCorasick } from '../src/policy/automaton/aho-corasick.js'
import { collapseSpaces } from '../src/policy/automaton/hit-checks.js'
import {
  compileKeywordMatcher,
  type KeywordMatchOptions,
  type KeywordSpan,
} from '../src/policy/keyword-matcher.js'
import { normaliseText } from '../src/policy/normalise-text.js'

/** Spans as [start, end, text, flags] rows, in text order, for readable comparisons. */
function find(keywords: string[], text: string, options?: KeywordMatchOptions) {
  return sortSpans(compileKeywordMatcher(keywords, options).findSpans(text)).map((span) => [
    span.start,
    span.end,
    text.slice(span.start, span.end),
    describeFlags(span),
  ])
}

function sortSpans(spans: KeywordSpan[]): KeywordSpan[] {
  return [...spans].sort((a, b) => a.start - b.start || a.end - b.end)
}

function describeFlags(span: KeywordSpan): string {
  if (span.maybeWordBreak) return 'word-break'
  return span.gapped ? 'gapped' : 'exact'
}

t.test('X01: separators and punctuation between characters are skipped', async (t) => {
  const keywords = ['赌博', '转账', '大麻']
  for (const text of ['赌 博', '赌.博', '赌@#￥%博', '赌——博', '赌\u3000博']) {
    t.same(find(keywords, text), [[0, text.length, text, 'gapped']], JSON.stringify(text))
    const normalised = normaliseText(text).text
    t.equal(find(keywords, normalised).length, 1, `${JSON.stringify(text)} once normalised`)
  }
  t.same(find(keywords, '今晚 赌 博 吗'), [[3, 6, '赌 博', 'gapped']], 'the span ends at 博')
})

t.test('X01n: a gap that may be a real word break is marked for review', async (t) => {
  const keywords = ['赌博']

  t.same(find(keywords, '我打赌 博物馆今天关门'), [[2, 5, '赌 博', 'word-break']])
  t.same(find(keywords, '我们打赌。博物馆关门'), [[3, 6, '赌。博', 'word-break']])
  t.same(find(keywords, '去赌🎲博吧'), [[1, 5, '赌🎲博', 'gapped']], 'emoji is no word break')
  t.same(find(keywords, '周末去赌 博吗'), [[3, 6, '赌 博', 'gapped']], 'function words around')
  t.same(find(keywords, '周末去赌 博物馆'), [[3, 6, '赌 博', 'word-break']])
  t.same(find(keywords, '赌 博'), [[0, 3, '赌 博', 'gapped']], 'nothing around it')
})

t.test('X03: emoji between characters are skipped, sequences included', async (t) => {
  const keywords = ['赌博', '转账']

  t.same(find(keywords, '赌🎲博'), [[0, 4, '赌🎲博', 'gapped']])
  t.same(find(keywords, '转💰账'), [[0, 4, '转💰账', 'gapped']])
  t.same(find(keywords, '转👍🏽账'), [[0, 6, '转👍🏽账', 'gapped']], 'skin tone')
  t.same(find(keywords, '赌👨‍👩‍👧博'), [[0, 10, '赌👨‍👩‍👧博', 'gapped']], 'joined family')
  t.same(find(keywords, '赌🇨🇳博'), [[0, 6, '赌🇨🇳博', 'gapped']], 'flag')
  t.same(find(keywords, '赌1️⃣博'), [], 'a keycap digit is a character, not a separator')
})

t.test('the gap between two keyword characters is bounded', async (t) => {
  t.same(find(['赌博'], '赌#$%^&博'), [], 'five different separators are too many')
  t.same(find(['赌博'], '赌.....博'), [[0, 7, '赌.....博', 'gapped']], 'a repeated one counts once')
  t.same(find(['赌博'], '赌 . 博'), [[0, 5, '赌 . 博', 'gapped']])
  t.same(find(['赌博'], '赌 . 博', { maxGap: 2 }), [])
  t.same(find(['赌博'], '赌 博', { maxGap: 0 }), [])
  t.same(find(['赌博'], '赌博', { maxGap: 0 }), [[0, 2, '赌博', 'exact']])
  t.same(find(['赌博'], '赌x博'), [], 'letters are never skipped')
})

t.test('X10: a digit or Latin keyword needs word boundaries', async (t) => {
  t.same(find(['69'], 'trade deficit totaled 695 billion yen'), [])
  t.same(find(['69'], 'rated 6.9 and 6 9 and 1,269'), [], 'a gap never joins two digits')
  t.same(find(['69'], '代号69号'), [[2, 4, '69', 'exact']], 'CJK around it is a boundary')
  t.same(find(['6 9'], 'code 6 9 please'), [[5, 8, '6 9', 'exact']], 'unless written so')
  t.same(find(['gamble'], 'gambler gambles gamble_x'), [])
  t.same(find(['gamble'], 'gamble! g.a.m.b.l.e'), [
    [0, 6, 'gamble', 'exact'],
    [8, 19, 'g.a.m.b.l.e', 'gapped'],
  ])
  t.same(find(['weixin'], 'jia wei xin'), [[4, 11, 'wei xin', 'word-break']])
  t.same(find(['wei xin'], 'jia wei xin'), [[4, 11, 'wei xin', 'exact']], 'listed with a space')
  t.same(find(['therapist'], 'the rapist'), [[0, 10, 'the rapist', 'word-break']])
})

t.test('a short keyword is reported beside the longer keyword around it', async (t) => {
  t.same(find(['赌博', '赌博网站', '网站'], '赌博网站'), [
    [0, 2, '赌博', 'exact'],
    [0, 4, '赌博网站', 'exact'],
    [2, 4, '网站', 'exact'],
  ])
  t.same(find(['insider', 'insider tip', 'tip'], 'an insider tip'), [
    [3, 10, 'insider', 'exact'],
    [3, 14, 'insider tip', 'exact'],
    [11, 14, 'tip', 'exact'],
  ])
  t.same(find(['insider tip'], 'insider-tip insidertip'), [
    [0, 11, 'insider-tip', 'gapped'],
    [12, 22, 'insidertip', 'gapped'],
  ])
  t.same(find(['insidertip'], 'insider tip'), [[0, 11, 'insider tip', 'word-break']])
  t.same(find(['insider tip'], 'insider  tip'), [[0, 12, 'insider  tip', 'exact']], 'spacing')
})

t.test('repeated characters: 微微信信 reads 微信, surplus CJK repeats are a gap', async (t) => {
  t.same(find(['微信'], '加微微信信'), [[2, 4, '微信', 'exact']])
  t.same(find(['内幕消息'], '内内幕幕消消息息'), [[1, 7, '内幕幕消消息', 'gapped']])
  t.same(find(['内幕消息'], '内幕幕幕幕幕消息'), [[0, 8, '内幕幕幕幕幕消息', 'gapped']])
  t.same(find(['内幕消息'], '内幕幕幕幕幕幕消息'), [], 'five surplus repeats are too many')
  t.same(find(['内幕消息'], '内幕幕消息', { maxGap: 0 }), [])
  t.same(find(['bet', 'god'], 'beet good'), [], 'Latin double letters are spelling')
})

t.test('keywords that repeat a character match only where the text repeats it', async (t) => {
  t.same(find(['哈哈'], '哈'), [])
  t.same(find(['哈哈'], '哈哈哈'), [
    [0, 2, '哈哈', 'exact'],
    [1, 3, '哈哈', 'exact'],
  ])
  t.same(find(['哈', '哈哈'], '哈哈'), [
    [0, 1, '哈', 'exact'],
    [0, 2, '哈哈', 'exact'],
    [1, 2, '哈', 'exact'],
  ])
  t.same(find(['哈哈大笑'], '哈哈哈大笑'), [[1, 5, '哈哈大笑', 'exact']])
  t.same(find(['哈哈大笑'], '哈大笑'), [])
  t.same(find(['哈哈'], '哈 哈'), [[0, 3, '哈 哈', 'gapped']])
})

t.test('boundaries none, word and auto', async (t) => {
  t.same(find(['gamble'], 'gambler', { boundaries: 'none' }), [[0, 6, 'gamble', 'exact']])
  t.same(find(['69'], '695', { boundaries: 'none' }), [[0, 2, '69', 'exact']])
  t.same(find(['赌博'], '去赌博吧', { boundaries: 'word' }), [])
  t.same(find(['赌博'], '去 赌博!', { boundaries: 'word' }), [[2, 4, '赌博', 'exact']])
  t.same(find(['69'], '代号69号', { boundaries: 'word' }), [])
  t.same(find(['赌博'], '去赌博吧', { boundaries: 'auto' }), [[1, 3, '赌博', 'exact']])
  t.same(find(['vx号'], 'avx号 vx号'), [[5, 8, 'vx号', 'exact']], 'only the Latin side')
})

t.test('spans are UTF-16 offsets from the first to the last keyword character', async (t) => {
  t.same(find(['casino'], '🎲🎲 casino'), [[5, 11, 'casino', 'exact']])
  t.same(find(['赌博'], '🎲 赌 博 🎲'), [[3, 6, '赌 博', 'gapped']])
  t.same(find(['𠀀𠀁'], 'a𠀀.𠀁b'), [[1, 6, '𠀀.𠀁', 'gapped']], 'astral CJK')
})

t.test('a keyword that starts or ends with a symbol matches only as written', async (t) => {
  t.same(find(['c++', '💰'], 'c and c++ for 💰 and c+ +'), [
    [6, 9, 'c++', 'exact'],
    [14, 16, '💰', 'exact'],
  ])
  t.same(find(['c++', 'gamble'], 'c++gamble'), [
    [0, 3, 'c++', 'exact'],
    [3, 9, 'gamble', 'exact'],
  ])
})

t.test('blank keywords are ignored and bad options are refused', async (t) => {
  t.same(find(['', '  '], 'anything'), [])
  t.same(compileKeywordMatcher([]).findSpans(''), [])
  const bad: KeywordMatchOptions[] = [
    { maxGap: -1 },
    { maxGap: 1.5 },
    { maxGap: 65 },
    { boundaries: 'line' as 'word' },
  ]
  for (const options of bad) {
    t.throws(
      () => compileKeywordMatcher(['x'], options),
      { code: 'WARDEN_POLICY_INVALID' },
      JSON.stringify(options),
    )
  }
})

t.test('a long run of one character is matched in linear passes', async (t) => {
  const text = '哈'.repeat(100_000)
  const spans = compileKeywordMatcher(['哈哈', '哈哈哈']).findSpans(text)
  t.equal(spans.length, 99_999 + 99_998)
  t.notOk(
    spans.some((span) => span.gapped),
    'none is gapped',
  )
})

/** Deterministic pseudo-random numbers, so that a failing case can be replayed. */
function createRandom(seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 48_271) + 12_345) >>> 0
    return state / 4_294_967_296
  }
}

function createString(random: () => number, alphabet: string[], longest: number): string {
  const length = Math.floor(random() * (longest + 1))
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
}

const isSpacedWordChar = (char: string | undefined) => char !== undefined && /[a-z0-9]/.test(char)

function hasAutoBoundaries(text: string, keyword: string, start: number, end: number): boolean {
  if (isSpacedWordChar(keyword[0]) && isSpacedWordChar(text[start - 1])) return false
  if (!(isSpacedWordChar(keyword.at(-1)) && isSpacedWordChar(text[end]))) {
    // A decimal point between digits joins them into one number (`69` is not in `69.5`).
    const joinsBefore = isDigit(keyword[0]) && text[start - 1] === '.' && isDigit(text[start - 2])
    const joinsAfter = isDigit(keyword.at(-1)) && text[end] === '.' && isDigit(text[end + 1])
    return !joinsBefore && !joinsAfter
  }
  return false
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9'
}

/** The obvious definition: every occurrence of every keyword, boundaries checked. */
function findBySubstring(keywords: string[], text: string): string[] {
  const found: string[] = []
  for (const keyword of new Set(keywords)) {
    for (let at = text.indexOf(keyword); at >= 0; at = text.indexOf(keyword, at + 1)) {
      const end = at + keyword.length
      if (hasAutoBoundaries(text, keyword, at, end)) found.push(`${at}:${end}`)
    }
  }
  return found.sort()
}

t.test('without gaps the automaton finds what indexOf finds (fuzz)', async (t) => {
  const random = createRandom(20_261_204)
  const alphabet = ['哈', '微', '信', 'a', 'b', '6', '9']
  let compared = 0
  for (let round = 0; round < 3000; round++) {
    const keywords = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
      createString(random, alphabet, 4),
    ).filter((keyword) => keyword !== '')
    const text = createString(random, alphabet, 14)
    const spans = compileKeywordMatcher(keywords, { maxGap: 0 }).findSpans(text)
    const found = spans.map((span) => `${span.start}:${span.end}`).sort()
    const expected = findBySubstring(keywords, text)
    if (found.join() !== expected.join() || spans.some((span) => span.gapped)) {
      t.same(found, expected, `keywords ${JSON.stringify(keywords)} in ${JSON.stringify(text)}`)
      return
    }
    compared += found.length
  }
  t.ok(compared > 500, `${compared} spans agreed`)
})

/** Keyword characters in order, each after at most four runs of one separator. */
function findWithGaps(keywords: string[], text: string): string[] {
  const found: string[] = []
  for (const keyword of new Set(keywords)) {
    for (let start = 0; start < text.length; start++) {
      const end = readGappedEnd(text, keyword, start)
      if (end > 0 && hasAutoBoundaries(text, keyword, start, end)) {
        found.push(`${start}:${end}:${describeGap(text.slice(start, end), keyword)}`)
      }
    }
  }
  return found.sort()
}

function describeGap(written: string, keyword: string): string {
  if (written === keyword) return 'exact'
  return /^[a-z0-9 ]+$/.test(written) ? 'word-break' : 'gapped'
}

function readGappedEnd(text: string, keyword: string, start: number): number {
  if (text[start] !== keyword[0]) return -1
  let at = start + 1
  for (let q = 1; q < keyword.length; q++) {
    let runs = 0
    for (; at < text.length && /[ .\-!]/.test(text[at] as string); at++) {
      if (text[at] !== text[at - 1]) runs++
    }
    if (text[at] !== keyword[q] || runs > 4) return -1
    if (runs > 0 && /\d/.test(keyword[q] as string) && /\d/.test(keyword[q - 1] as string)) {
      return -1
    }
    at++
  }
  return at
}

t.test('with separators the automaton agrees with a direct scan (fuzz)', async (t) => {
  const random = createRandom(4_242)
  const letters = ['a', 'b', '6', '9']
  const alphabet = [...letters, ' ', '.', '-', '!']
  let compared = 0
  for (let round = 0; round < 3300; round++) {
    const keywords = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
      createString(random, letters, 3),
    ).filter((keyword) => keyword !== '')
    const text = createString(random, alphabet, 16)
    const spans = compileKeywordMatcher(keywords).findSpans(text)
    const found = spans.map((span) => `${span.start}:${span.end}:${describeFlags(span)}`).sort()
    const expected = findWithGaps(keywords, text)
    if (found.join() !== expected.join()) {
      t.same(found, expected, `keywords ${JSON.stringify(keywords)} in ${JSON.stringify(text)}`)
      return
    }
    compared += found.length
  }
  t.ok(compared > 500, `${compared} spans agreed`)
})

t.test(
  'the automaton reports every pattern ending at every symbol, as a naive search does',
  async (t) => {
    let seed = 0xacdc
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return Math.floor((seed / 2 ** 31) * below)
    }
    // A small alphabet makes patterns share prefixes and suffixes, as keyword lists do.
    const alphabetSize = 6
    const patterns = Array.from({ length: 300 }, () =>
      Array.from({ length: 1 + random(5) }, () => 1 + random(alphabetSize)),
    )
    const unique = [...new Map(patterns.map((pattern) => [pattern.join(','), pattern])).values()]
    const automaton = new AhoCorasick(unique, alphabetSize)
    let differing = 0
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: 60 }, () => random(alphabetSize + 1))
      const found: string[] = []
      let state = 0
      text.forEach((symbol, at) => {
        state = symbol === 0 ? 0 : automaton.step(state, symbol)
        let node =
          (automaton.terminal[state] ?? -1) >= 0 ? state : (automaton.outputLink[state] ?? 0)
        while (node !== 0) {
          found.push(`${at}:${automaton.terminal[node]}`)
          node = automaton.outputLink[node] ?? 0
        }
      })
      const expected = unique.flatMap((pattern, index) =>
        text
          .map((_, at) => at)
          .filter((at) =>
            pattern.every((symbol, i) => text[at - pattern.length + 1 + i] === symbol),
          )
          .map((at) => `${at}:${index}`),
      )
      if (found.sort().join() !== expected.sort().join()) differing++
    }
    t.equal(differing, 0, 'no text where the automaton and the naive search disagree')
  },
)

t.test('collapsing whitespace without a regex gives what the regex gives', async (t) => {
  const blanks = Array.from({ length: 0x10000 }, (_, code) => String.fromCharCode(code)).filter(
    (char) => /\s/u.test(char),
  )
  const pieces = ['a', '赌', ' ', '  ', '\u200b', ...blanks]
  let differing = 0
  for (const first of pieces) {
    for (const second of pieces) {
      const text = `x${first}${second}y${second}`
      if (collapseSpaces(text) !== text.replace(/\s+/gu, ' ')) differing++
    }
  }
  t.equal(differing, 0, 'every pair of whitespace characters collapses as the regex does')
})
