/**
 * The keyword matcher against 10 000 synthetic keywords, beside a naive baseline (a loop of
 * `includes` over every keyword) measured in the same run, on a synthetic Chinese/English chat
 * corpus of 100-character messages. The corpus and keywords come from a seeded generator, so
 * every run reads the same text. Nothing here asserts a time: compare figures across runs.
 * Run with `npm run bench:policy` (needs --expose-gc for the memory figure).
 */
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { compileKeywordMatcher, prepareKeyword } from '../src/policy/keyword-matcher.js'
import { compilePolicy } from '../src/policy/load-policy.js'
import { normaliseText } from '../src/policy/normalise-text.js'
import { printLinearity } from './bench-kit.js'

const KEYWORD_COUNT = 10_000
const MESSAGE_COUNT = 20_000
const MESSAGE_LENGTH = 100
const SEPARATORS = [' ', '.', '-', '·', '🎲', '，']
const PUNCTUATION = ['，', '。', '！', '？', ', ', '. ', '! ', ' ', ' ', ' ', '😂', '👍🏻']

/** mulberry32: small, fast and good enough to make a corpus repeatable. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = Math.imul(state ^ (state >>> 15), 1 | state)
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296
  }
}

const random = createRandom(20_261_204)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
// Squaring skews choices towards the front of a pool, the way real text repeats its
// commonest characters and words.
const pickSkewed = <T>(items: readonly T[]): T =>
  items[Math.floor(random() ** 2 * items.length)] as T

const HAN = Array.from({ length: 3500 }, (_, i) => String.fromCodePoint(0x4e00 + i * 5))
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'
const ENGLISH = Array.from({ length: 4000 }, () => createLatinWord(2, 9))

function createLatinWord(shortest: number, longest: number): string {
  const length = shortest + Math.floor(random() * (longest - shortest + 1))
  return Array.from({ length }, () => pick([...LETTERS])).join('')
}

function createKeywords(): string[] {
  const keywords = new Set<string>()
  while (keywords.size < KEYWORD_COUNT) {
    if (random() < 0.7) {
      const length = 2 + Math.floor(random() * 3)
      keywords.add(Array.from({ length }, () => pickSkewed(HAN)).join(''))
    } else {
      keywords.add(random() < 0.2 ? `${pick(ENGLISH)} ${pick(ENGLISH)}` : createLatinWord(4, 10))
    }
  }
  return [...keywords]
}

/** A chat line: Chinese phrases, English words, numbers, punctuation and the odd emoji. */
function createMessage(keywords: readonly string[]): string {
  let text = ''
  while (text.length < MESSAGE_LENGTH) {
    const roll = random()
    if (roll < 0.55)
      text += Array.from({ length: 1 + Math.floor(random() * 4) }, () => pickSkewed(HAN)).join('')
    else if (roll < 0.8) text += ` ${pickSkewed(ENGLISH)}`
    else if (roll < 0.85) text += String(Math.floor(random() * 100_000))
    else if (roll < 0.98) text += pick(PUNCTUATION)
    else text += insertKeyword(pick(keywords))
  }
  return text.slice(0, MESSAGE_LENGTH)
}

/** A keyword as someone evading a filter writes it: now and then split by separators. */
function insertKeyword(keyword: string): string {
  if (random() < 0.5) return ` ${keyword} `
  return ` ${[...keyword].join(pick(SEPARATORS))} `
}

/**
 * Messages per second in steady state, as in a running service: one untimed pass over the same
 * messages first, so that the JIT has settled (a 2,000-message warm-up left ~10% of the figure to
 * recompilation). The baselines get the same warm-up.
 */
function measureRate(label: string, count: number, run: (i: number) => unknown): number {
  for (let i = 0; i < count; i++) run(i)
  const started = performance.now()
  for (let i = 0; i < count; i++) run(i)
  const perSecond = count / ((performance.now() - started) / 1000)
  process.stdout.write(
    `  ${label.padEnd(50)} ${Math.round(perSecond).toLocaleString('en')} msg/s\n`,
  )
  return perSecond
}

function measureP99(label: string, count: number, run: (i: number) => unknown): void {
  const times = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    run(i)
    times[i] = performance.now() - started
  }
  times.sort()
  const p99 = (times[Math.floor(count * 0.99)] as number) * 1000
  const p50 = (times[Math.floor(count * 0.5)] as number) * 1000
  process.stdout.write(`  ${label.padEnd(50)} p50 ${p50.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs\n`)
}

function measureMemory(build: () => unknown): { value: unknown; megabytes: number } {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) process.stdout.write('  (run with --expose-gc for a memory figure)\n')
  gc?.()
  const before = process.memoryUsage()
  const value = build()
  gc?.()
  const after = process.memoryUsage()
  // Typed arrays live outside the JS heap: count their buffers too.
  const bytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)
  return { value, megabytes: bytes / 1024 / 1024 }
}

function benchKeywords(): void {
  const keywords = createKeywords()
  const originals = Array.from({ length: MESSAGE_COUNT }, () => createMessage(keywords))
  const texts = originals.map((original) => normaliseText(original).text)
  const at = (i: number) => texts[i % texts.length] as string
  const latin = keywords.filter((keyword) => /^[a-z ]+$/.test(keyword)).length
  process.stdout.write(
    `${keywords.length.toLocaleString('en')} keywords (${latin} Latin), ` +
      `${texts.length.toLocaleString('en')} messages of ${MESSAGE_LENGTH} characters, ` +
      `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, one core\n\n`,
  )

  const started = performance.now()
  const { value, megabytes } = measureMemory(() => compileKeywordMatcher(keywords))
  const matcher = value as ReturnType<typeof compileKeywordMatcher>
  const compileMs = performance.now() - started
  process.stdout.write(
    `compiled matcher: ${megabytes.toFixed(1)} MB (heap + typed arrays), ` +
      `built in ${compileMs.toFixed(0)} ms\n\n`,
  )

  const prepared = keywords.map(prepareKeyword)
  const naive = (text: string) => prepared.filter((keyword) => text.includes(keyword)).length
  process.stdout.write('matching normalised text\n')
  const baseline = measureRate('baseline: includes() for each of 10 000 keywords', 2000, (i) =>
    naive(at(i)),
  )
  const ours = measureRate('wecom-warden: automaton', MESSAGE_COUNT * 5, (i) =>
    matcher.findSpans(at(i)),
  )
  process.stdout.write(`  => ${(ours / baseline).toFixed(0)}x the baseline\n`)
  measureP99('baseline latency', 2000, (i) => naive(at(i)))
  measureP99('automaton latency', MESSAGE_COUNT, (i) => matcher.findSpans(at(i)))

  const spans = texts.flatMap((text) => matcher.findSpans(text))
  const gapped = spans.filter((span) => span.gapped).length
  const wordBreaks = spans.filter((span) => span.maybeWordBreak).length
  const found = texts.slice(0, 2000).reduce((sum, text) => sum + naive(text), 0)
  process.stdout.write(
    `  hits in all messages: ${spans.length} spans, ${gapped} of them gapped ` +
      `(${wordBreaks} maybe a word break); baseline: ${found} in the first 2000\n\n`,
  )

  process.stdout.write('normalising and matching the original text\n')
  const raw = (i: number) => originals[i % originals.length] as string
  measureRate('normaliseText alone', MESSAGE_COUNT, (i) => normaliseText(raw(i)))
  measureRate('normaliseText + automaton', MESSAGE_COUNT, (i) =>
    matcher.findSpans(normaliseText(raw(i)).text),
  )
  measureP99('normaliseText + automaton latency', MESSAGE_COUNT, (i) =>
    matcher.findSpans(normaliseText(raw(i)).text),
  )
  benchLinearity(matcher, texts)
  benchWholePolicy(keywords, originals)
}

/** The figure: 10 000 keywords + 50 regexes + every detector, through evaluate(). */
function benchWholePolicy(keywords: readonly string[], originals: readonly string[]): void {
  const regexes = Array.from({ length: 50 }, (_, i) => `ref-${i}-\\d{4}-[a-z]{3}`)
  const yaml = [
    'rules:',
    '  - id: keywords',
    `    keywords: [${keywords.map((keyword) => JSON.stringify(keyword)).join(', ')}]`,
    '    severity: high',
    '    actions: [nudge]',
    ...regexes.flatMap((regex, i) => [
      `  - id: regex-${i}`,
      `    regex: '${regex}'`,
      '    severity: low',
      '    actions: [nudge]',
    ]),
    ...['cn-mobile', 'cn-id-card', 'bank-card', 'email'].flatMap((detector) => [
      `  - id: ${detector}`,
      `    detector: ${detector}`,
      '    severity: medium',
      '    actions: [nudge]',
    ]),
  ].join('\n')
  process.stdout.write('\nwhole policy: 10 000 keywords + 50 regexes + 4 detectors, evaluate()\n')
  const { value, megabytes } = measureMemory(() => compilePolicy(yaml, 'bench'))
  const policy = value as ReturnType<typeof compilePolicy>
  process.stdout.write(`  compiled policy: ${megabytes.toFixed(1)} MB\n`)
  const input = (i: number) => ({
    text: originals[i % originals.length] as string,
    fromUser: 'u',
    channel: 'app-callback',
    msgType: 'text',
  })
  const lowered = keywords.map((keyword) => keyword.toLowerCase())
  const jsRegexes = regexes.map((regex) => new RegExp(regex, 'u'))
  const baseline = measureRate('baseline: includes() per keyword + 50 JS regexes', 2000, (i) => {
    const text = input(i).text.toLowerCase()
    return (
      lowered.filter((k) => text.includes(k)).length + jsRegexes.filter((r) => r.test(text)).length
    )
  })
  const ours = measureRate('wecom-warden: evaluate()', MESSAGE_COUNT, (i) =>
    policy.evaluate(input(i)),
  )
  process.stdout.write(`  => ${(ours / baseline).toFixed(1)}x the baseline\n`)
  measureP99('evaluate() latency', MESSAGE_COUNT, (i) => policy.evaluate(input(i)))
}

function benchLinearity(
  matcher: ReturnType<typeof compileKeywordMatcher>,
  texts: readonly string[],
): void {
  process.stdout.write(
    '\nlinearity: automaton time per character, 1 000 000 vs 10 000 characters\n',
  )
  const long = texts.join('')
  // Both sizes read three million characters in all, so each timing is long enough to trust.
  printLinearity(
    (length) => long.slice(0, length),
    (text) => matcher.findSpans(text),
    {
      small: 10_000,
      large: 1_000_000,
      rounds: (length) => Math.ceil(3_000_000 / length),
    },
  )
}

benchKeywords()
