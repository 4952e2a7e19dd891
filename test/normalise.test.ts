import t, { type Test } from 'tap'
import { STEP_NAMES } from '../src/policy/normalise/pieces.js'
import {
  listStepsForSpan,
  mapSpanToOriginal,
  type NormalisedText,
  normaliseText,
  normaliseTextFully,
} from '../src/policy/normalise-text.js'

/** The original text behind every hit of `needle` in the normalised form of `original`. */
function findInOriginal(original: string, needle: string): string[] {
  const normalised = normaliseText(original)
  const found: string[] = []
  for (let at = normalised.text.indexOf(needle); at >= 0; ) {
    const { start, end } = mapSpanToOriginal(normalised, { start: at, end: at + needle.length })
    found.push(original.slice(start, end))
    at = normalised.text.indexOf(needle, at + 1)
  }
  return found
}

/** The offset map's own invariants, whatever the input. */
function checkOffsetMap(t: Test, original: string, normalised: NormalisedText) {
  const { text, starts, ends, changes, steps } = normalised
  t.equal(starts.length, text.length, 'one start per unit')
  t.equal(ends.length, text.length, 'one end per unit')
  t.equal(changes.length, text.length, 'one change mask per unit')
  const inBounds = starts.every((start, i) => {
    const end = ends[i] ?? -1
    const previous = i === 0 ? 0 : (starts[i - 1] ?? 0)
    return start >= previous && start < end && end <= original.length
  })
  t.ok(inBounds, 'every span is non-empty, inside the original and in order')
  t.same(
    steps,
    STEP_NAMES.filter((step) => steps.includes(step)),
    'steps are known and in pipeline order',
  )
}

t.test('removes zero-width characters, BOM and soft hyphen and maps the word back (X02)', (t) => {
  const cases = [
    ['赌\u200B博', '赌博'],
    ['转\uFEFF账', '转账'],
    ['赌\u00AD博', '赌博'],
    ['赌\u200D\u2060\u202E博', '赌博'],
    ['ca\uFE0Fsi\u{E0100}no', 'casino'],
  ] as const
  for (const [original, expected] of cases) {
    const normalised = normaliseText(original)
    t.equal(normalised.text, expected, JSON.stringify(original))
    t.ok(normalised.steps.includes('ignorable'), 'the ignorable step is recorded')
    t.same(findInOriginal(original, expected), [original], 'the hit covers the whole original')
  }
  t.end()
})

t.test('simplifies traditional characters so 賭博 and 轉帳 meet 赌博 and 转账 (X04)', (t) => {
  t.equal(normaliseText('賭博').text, '赌博')
  // OpenCC gives 轉帳 → 转帐; the variant fold makes it 转账, the spelling keyword lists use.
  t.equal(normaliseText('轉帳').text, '转账')
  t.equal(normaliseText('转帐').text, normaliseText('转账').text)
  t.equal(normaliseText('转账').text, '转账', 'the keyword itself is unchanged')
  t.same(normaliseText('轉帳').steps, ['t2s'])
  t.same(findInOriginal('请轉帳给我', '转账'), ['轉帳'], 'the span points at the original')
  t.end()
})

t.test('keeps phrase context when simplifying, as in 著名 beside 看著', (t) => {
  t.equal(normaliseText('說話 著名 看著').text, '说话 著名 看着')
  t.equal(normaliseText('一目瞭然').text, '一目了然', 'a phrase-only conversion still applies')
  t.end()
})

t.test('folds full-width letters and digits to ASCII (X05)', (t) => {
  const original = '加ＶＸ：１３８００１３８０００'
  const normalised = normaliseText(original)
  t.equal(normalised.text, '加vx:13800138000')
  t.same(normalised.steps, ['nfkc', 'fold-case'])
  t.same(findInOriginal(original, '13800138000'), ['１３８００１３８０００'])
  t.equal(normaliseText('６２２２ ０２０２ ０２０２ ０２０９').text, '6222 0202 0202 0209')
  t.end()
})

t.test('folds Chinese, financial and phone-speak numerals inside numbers', (t) => {
  const cases = [
    ['幺三八零零幺三八零零零', '13800138000'],
    ['一三八〇〇一三八〇〇〇', '13800138000'],
    ['壹叁捌零零壹叁捌零零零', '13800138000'],
    ['貳參陸肆伍柒捌玖', '23645789'],
    ['138零零138零零零', '13800138000'],
    ['幺三八 零零幺三-八零零零', '138 0013-8000'],
    ['电话：一三八○○一三八○○○', '电话:13800138000'],
  ] as const
  for (const [original, expected] of cases) {
    const normalised = normaliseText(original)
    t.equal(normalised.text, expected, original)
    t.ok(normalised.steps.includes('digits'), 'the digits step is recorded')
  }
  t.same(findInOriginal('打幺三八零零给我', '13800'), ['幺三八零零'])
  t.end()
})

t.test('leaves ordinary words with numerals alone: 一起, 三点开会, 一一对应, 七八个人', (t) => {
  for (const original of ['一起去吧', '三点开会', '一一对应', '七八个人', '三五成群', '零钱']) {
    const normalised = normaliseText(original)
    t.equal(normalised.text, original, original)
    t.notOk(normalised.steps.includes('digits'), 'no digit folding')
  }
  t.equal(normaliseText('我们一起3点开会').text, '我们一起3点开会', 'one digit beside one numeral')
  t.end()
})

t.test('folds circled, parenthesised, dingbat, super- and subscript digits', (t) => {
  const cases = [
    ['①②③④⑤⑥⑦⑧⑨', '123456789'],
    ['⓪', '0'],
    ['⑩⑳', '1020'],
    ['❶❷❸ ➀➁ ➊ ⓵⓶ ⓫ ⓿', '123 12 1 12 11 0'],
    ['⑴⑵⑶', '123'],
    ['⒈⒉', '12'],
    ['㈠㈡㈩', '1210'],
    ['¹²³', '123'],
    ['₁₂₃', '123'],
  ] as const
  for (const [original, expected] of cases) {
    t.equal(normaliseText(original).text, expected, original)
  }
  t.same(findInOriginal('号码❶❸❽', '138'), ['❶❸❽'])
  t.end()
})

t.test('folds case fully: Turkish İ and dotless ı to i, ß and ẞ to ss, final ς to σ', (t) => {
  t.equal(normaliseText('İSTANBUL').text, 'istanbul')
  t.equal(normaliseText('bıtcoin').text, 'bitcoin')
  t.equal(normaliseText('Straße').text, 'strasse')
  t.equal(normaliseText('STRAẞE').text, normaliseText('strasse').text)
  t.equal(normaliseText('ΛΟΓΟΣ').text, normaliseText('λογος').text)
  t.same(findInOriginal('an İstanbul office', 'istanbul'), ['İstanbul'])
  t.same(normaliseText('İ').steps, ['fold-case', 'marks'])
  t.end()
})

t.test('strips combining accents from Latin letters but not from Hangul or CJK', (t) => {
  t.equal(normaliseText('ca\u0301sino').text, 'casino')
  t.equal(normaliseText('càsîñö').text, 'casino')
  t.equal(normaliseText('c\u200B\u0301asino').text, 'casino', 'a mark stranded by a removed ZWSP')
  t.same(findInOriginal('play ca\u0301sino now', 'casino'), ['ca\u0301sino'])
  t.equal(normaliseText('한국어').text, '한국어', 'Hangul syllables are not decomposed')
  t.equal(normaliseText('\u1112\u1161\u11AB').text, '한', 'conjoining jamo compose under NFKC')
  t.equal(normaliseText('й').text, 'й', 'a Cyrillic letter keeps its breve')
  t.end()
})

t.test('folds Cyrillic and Greek look-alikes inside otherwise Latin words: саsino', (t) => {
  const normalised = normaliseText('саsino')
  t.equal(normalised.text, 'casino')
  t.same(normalised.steps, ['confusable'])
  t.equal(normaliseText('раураl').text, 'paypal', 'all-look-alike letters beside one Latin l')
  t.equal(normaliseText('ΒΙΤcοin').text, 'bitcoin', 'Greek capitals, folded first')
  t.equal(normaliseText('с4sino').text, 'c4sino', 'digits stay inside the word')
  t.same(findInOriginal('go to саsino', 'casino'), ['саsino'])
  t.end()
})

t.test('keeps genuinely Cyrillic and Greek words, and mixed words with other letters', (t) => {
  t.equal(normaliseText('сахар').text, 'сахар')
  t.equal(normaliseText('ακρο').text, 'ακρο')
  t.equal(normaliseText('саsinoж').text, 'саsinoж', 'ж has no Latin look-alike')
  t.equal(normaliseText('加х微信').text, '加х微信', 'no Latin letter in the word')
  t.end()
})

t.test('maps every unit of a 200-character mixed text back to a span that yields it', (t) => {
  const fragments = [
    'Ｈｅｌｌｏ',
    '賭\u200B博',
    'ca\u0301sino',
    'İ',
    'STRAẞE',
    'ﬁle',
    '①',
    '❼',
    '한국어',
    '轉帳',
    '\uFEFF',
    '㍿',
    '🎲',
    'soft\u00ADhyphen',
    '✌\uFE0F',
    '\u202Eevil\u202C',
    '，',
    '𝐜𝐚𝐬𝐢𝐧𝐨',
    '⑴',
  ]
  let original = ''
  for (let i = 0; original.length < 200; i++) {
    original += `${fragments[(i * 7) % fragments.length]} `
  }
  const normalised = normaliseText(original)
  checkOffsetMap(t, original, normalised)
  const mismatches = Array.from(normalised.text).filter((_, unit) => {
    const slice = original.slice(normalised.starts[unit], normalised.ends[unit])
    return !normaliseText(slice).text.includes(normalised.text[unit] ?? '\u0000')
  })
  t.same(mismatches, [], 'each unit comes from its span')
  t.ok(original.length >= 200)
  t.end()
})

t.test('records per span the steps that mattered', (t) => {
  const original = 'NOTE: 賭\u200B博 ok'
  const normalised = normaliseText(original)
  const at = normalised.text.indexOf('赌博')
  t.same(normalised.steps, ['fold-case', 'ignorable', 't2s'].sort(byPipeline))
  t.same(listStepsForSpan(normalised, { start: at, end: at + 2 }), ['ignorable', 't2s'])
  t.same(listStepsForSpan(normalised, { start: 0, end: 4 }), ['fold-case'])
  t.same(normaliseText('plain text').steps, [])
  t.same(normaliseText('纯文本').steps, [])
  t.end()
})

function byPipeline(a: string, b: string): number {
  return STEP_NAMES.indexOf(a as never) - STEP_NAMES.indexOf(b as never)
}

t.test('never throws and keeps a valid offset map on random and malformed strings', (t) => {
  const alphabet = [
    'a',
    'Z',
    '1',
    ' ',
    '-',
    '\uD800',
    '\uDC00',
    '\uDBFF\uDFFF',
    '\u0301',
    '\u0307',
    '\u200B',
    '\u200D',
    '\uFE0F',
    '\u1100',
    '\u1161',
    '\u11A8',
    '가',
    '一',
    '幺',
    '零',
    '參',
    '賭',
    '帳',
    'а',
    'с',
    'Σ',
    'İ',
    'ß',
    '⑴',
    '㈠',
    '❶',
    '①',
    '🎲',
    'ﬁ',
    '\u0000',
  ]
  let seed = 0x5eed
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  const pick = () =>
    random() < 0.2
      ? String.fromCharCode(Math.floor(random() * 0x10000))
      : (alphabet[Math.floor(random() * alphabet.length)] ?? '')

  let failures = 0
  for (let round = 0; round < 2000; round++) {
    const original = Array.from({ length: Math.floor(random() * 40) }, pick).join('')
    try {
      const normalised = normaliseText(original)
      const valid = normalised.starts.every(
        (start, i) =>
          start < (normalised.ends[i] ?? -1) && (normalised.ends[i] ?? 0) <= original.length,
      )
      if (!valid || normalised.starts.length !== normalised.text.length) failures++
    } catch {
      failures++
    }
  }
  t.equal(failures, 0, 'no string throws or breaks the offset map')
  checkOffsetMap(t, '\uDC00\uD800a\u0301', normaliseText('\uDC00\uD800a\u0301'))
  t.end()
})

t.test('combining marks slipped between Chinese characters are removed', (t) => {
  for (const mark of ['\u0301', '\u20DD', '\u0332', '\u3099']) {
    const original = `赌${mark}博`
    const normalised = normaliseText(original)
    t.equal(normalised.text, '赌博', `U+${mark.codePointAt(0)?.toString(16).toUpperCase()}`)
    t.ok(normalised.steps.includes('marks'))
    t.same(mapSpanToOriginal(normalised, { start: 0, end: 2 }), { start: 0, end: 3 })
  }
  t.equal(normaliseText('한국어').text, '한국어', 'Hangul keeps its own letters')
  t.end()
})

t.test('decimal digits of other scripts fold to ASCII digits', (t) => {
  const cases: Array<[string, string]> = [
    ['١٣٨٠٠', '13800'],
    ['۱۳۸۰۰', '13800'],
    ['१३८००', '13800'],
    ['๑๓๘๐๐', '13800'],
    ['１３８００', '13800'],
    ['ห้อง ๕', 'ห้อง 5'],
  ]
  for (const [original, expected] of cases) {
    const normalised = normaliseText(original)
    t.equal(normalised.text, expected, original)
    checkOffsetMap(t, original, normalised)
  }
  t.same(findInOriginal('电话١٣٨', '138'), ['١٣٨'])
  t.end()
})

t.test('look-alikes NFKC would hide, small capitals, Cherokee and enclosed letters fold', (t) => {
  const cases: Array<[string, string, string]> = [
    ['ϲasino', 'casino', 'Greek lunate sigma'],
    ['Ϲasino', 'casino', 'capital lunate sigma'],
    ['ᴄᴀsɪɴᴏ', 'casino', 'small capitals'],
    ['Ꮯasino', 'casino', 'Cherokee capital'],
    ['ꮯasino', 'casino', 'Cherokee small letter'],
    ['🅒asino', 'casino', 'negative circled capital'],
    ['🅲🅰🆂🅸🅽🅾', 'casino', 'negative squared capitals'],
    ['σας', 'σασ', 'a Greek word keeps its sigma'],
  ]
  for (const [original, expected, name] of cases) {
    const normalised = normaliseText(original)
    t.equal(normalised.text, expected, name)
    checkOffsetMap(t, original, normalised)
  }
  t.same(findInOriginal('play 🅒asino', 'casino'), ['🅒asino'])
  t.same(listStepsForSpan(normaliseText('ϲasino'), { start: 0, end: 6 }).at(-1), 'confusable')
  t.end()
})

/** Random chat-like text: every kind of character the shortcuts must tell apart. */
function createMixedText(random: () => number): string {
  const pools = [
    '赌博转账微信加我一起说话看着著名内幕消息',
    '賭博轉帳說話著名看著帳發財錢們這個',
    'abcdefghijklmnopqrstuvwxyz     ',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    'ＡＢＣｖｘ０１２３４５６７８９，！？：（）',
    'асеорхіѕΑΒΕΙΚΟΡΤΥΧοαᴄɑꮯᏟϲϹıİßẞΣσς',
    '\u200B\u200C\u200D\u2060\uFEFF\u00AD\u202E\uFE0F\u0301\u0307\u20DD\u3099',
    '0123456789٠١٢٣٤٥٦٧٨٩०१२३४५६७८९๐๑๒๓',
    '零〇○一二三四五六七八九十幺壹贰叁参肆伍陆柒捌玖貳參陸两百',
    '①②⑴⑵⒈⒉❶❷➀㈠㊀⓵⓿ ‐-.·・_/',
    '。、；：“”‘’《》【】…—～·',
    '\u1100\u1161\u11A8가한국어ﬁﬂ㎏℃™',
  ]
  const astral = [
    '😂',
    '👍🏻',
    '🎲',
    '👨‍👩‍👧',
    '🇨🇳',
    '1️⃣',
    '💰',
    '🅒',
    '🅲',
    '𝐜',
    '𝟏',
    '𠮶',
    '\u{E0100}',
  ]
  let text = ''
  const length = Math.floor(random() * 60)
  while (text.length < length) {
    const roll = random()
    if (roll < 0.08) text += astral[Math.floor(random() * astral.length)]
    else if (roll < 0.1) text += String.fromCharCode(Math.floor(random() * 0x10000))
    else if (roll < 0.11) text += String.fromCodePoint(0x10000 + Math.floor(random() * 0x20000))
    else {
      const pool = Array.from(pools[Math.floor(random() * pools.length)] ?? '')
      const count = 1 + Math.floor(random() * 6)
      for (let i = 0; i < count; i++) text += pool[Math.floor(random() * pool.length)] ?? ''
    }
  }
  return text
}

function describeNormalised({ text, starts, ends, steps, changes }: NormalisedText) {
  return { text, starts: [...starts], ends: [...ends], steps, changes: [...changes] }
}

t.test('the shortcuts give what every step over every piece gives, on random mixed text', (t) => {
  let seed = 0xc0ffee
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  const samples = ['plain 简体 text 123 😂', '纯文本，好的！', 'Hello 世界', '𠮶😂a', '']
  for (let round = 0; round < 10_000; round++) samples.push(createMixedText(random))
  const differing = samples.filter((original) => {
    const fast = describeNormalised(normaliseText(original))
    const full = describeNormalised(normaliseTextFully(original))
    return JSON.stringify(fast) !== JSON.stringify(full)
  })
  t.same(differing.slice(0, 5), [], 'no text normalises differently')
  t.end()
})

t.test('letters JavaScript case-folds beyond Unicode folding do not wait for an emoji', (t) => {
  // Cherokee capitals and 'ΐ' used to fold only when some other character woke the step up.
  for (const letter of ['Ꮳ', 'ΐ', 'ǰ']) {
    const alone = normaliseText(letter)
    t.equal(`${alone.text}😂`, normaliseText(`${letter}😂`).text, letter)
    t.ok(alone.steps.includes('fold-case'), `${letter}: the fold is recorded`)
  }
  t.end()
})
