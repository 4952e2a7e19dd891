import { readFile } from 'node:fs/promises'
import t, { type Test } from 'tap'
import { measureWidth, renderExcerpt, renderVisible } from '../src/cli/output.js'
import { runCli } from '../src/cli/run.js'
import { checkExamples } from '../src/policy/check-examples.js'
import { compilePolicy } from '../src/policy/load-policy.js'
import { runWarden } from './helpers/cli.js'
import { gamblingRule, REVIEW_RULE } from './helpers/policy.js'

const GAMBLING_RULE = gamblingRule('赌博, gamble')
const CHECK_POLICY = ['rules:', ...GAMBLING_RULE, ...REVIEW_RULE, ''].join('\n')

const run = runWarden

function writePolicy(t: Test, yaml: string): string {
  return `${t.testdir({ 'policy.yaml': yaml })}/policy.yaml`
}

async function checkJson(t: Test, policyPath: string, text: string) {
  const result = await run(['policy', 'check', '--policy', policyPath, '--json', text])
  t.equal(result.code, 0, 'a query exits 0 whatever the verdict')
  t.equal(result.stderr, '', 'nothing on stderr')
  t.equal(result.stdout.trim().split('\n').length, 1, 'one line of output')
  return JSON.parse(result.stdout)
}

t.test('check --json prints the contract object for 赌博 with offsets into the text', async (t) => {
  const policy = writePolicy(t, CHECK_POLICY)
  const text = '🎲周末去赌博吗'
  const result = await checkJson(t, policy, text)

  t.same(result, {
    verdict: 'FLAG',
    hits: [{ rule: 'no-gambling', verdict: 'FLAG', start: 5, end: 7, text: '赌博' }],
  })
  t.same(Object.keys(result.hits[0]), ['rule', 'verdict', 'start', 'end', 'text'])
  t.equal(text.slice(result.hits[0].start, result.hits[0].end), '赌博')
})

t.test('check --json gives PASS and no hits on a clean text', async (t) => {
  const policy = writePolicy(t, CHECK_POLICY)
  t.same(await checkJson(t, policy, '明天上午十点开会'), { verdict: 'PASS', hits: [] })
})

t.test(
  'check --json gives REVIEW when only REVIEW rules hit, FLAG once a FLAG rule does',
  async (t) => {
    const policy = writePolicy(t, CHECK_POLICY)
    const review = await checkJson(t, policy, '年终奖金什么时候发')
    t.equal(review.verdict, 'REVIEW')
    t.same(
      review.hits.map((hit: { verdict: string }) => hit.verdict),
      ['REVIEW'],
    )

    const both = await checkJson(t, policy, 'bonus 拿去赌博')
    t.equal(both.verdict, 'FLAG')
    t.same(
      both.hits.map((hit: { rule: string }) => hit.rule),
      ['mentions-bonus', 'no-gambling'],
    )
  },
)

t.test('check reads the policy from POLICY_FILE when --policy is not given', async (t) => {
  const policy = writePolicy(t, CHECK_POLICY)
  const result = await run(['policy', 'check', '--json', '赌博'], { POLICY_FILE: policy })
  t.equal(result.code, 0)
  t.equal(JSON.parse(result.stdout).hits[0].rule, 'no-gambling')
})

t.test(
  'check explains each hit with rule, version, span, marker, normalised form and why',
  async (t) => {
    const policy = writePolicy(t, CHECK_POLICY)
    const result = await run(['policy', 'check', '--policy', policy, '今晚ＧＡＭＢＬＥ吗'])
    t.equal(result.code, 0)
    t.equal(result.stderr, '')
    const out = result.stdout
    t.match(out, /verdict: FLAG — 1 hit of 1 rule/)
    t.match(out, /1\. no-gambling v1: FLAG, severity high/)
    t.match(out, /matched: +"ＧＡＭＢＬＥ" at \[2, 8\)/)
    t.match(out, /normalised: "gamble"/)
    t.match(out, /why: +Please keep gambling out of work chats\./)

    const lines = out.split('\n')
    const excerptLine = lines.findIndex((line) => line.trimStart() === '今晚ＧＡＭＢＬＥ吗')
    t.ok(excerptLine > 0, 'the text is shown around the match')
    const marker = lines[excerptLine + 1] ?? ''
    const excerptStart = (lines[excerptLine] ?? '').indexOf('今')
    t.equal(marker.indexOf('^') - excerptStart, 4, 'the marker starts under Ｇ (two wide chars in)')
    t.equal(marker.trim(), '^'.repeat(12), 'the marker spans six full-width letters')
  },
)

t.test('check says PASS in words when no rule matches', async (t) => {
  const policy = writePolicy(t, CHECK_POLICY)
  const result = await run(['policy', 'check', '--policy', policy, 'hello'])
  t.equal(result.code, 0)
  t.match(result.stdout, /verdict: PASS — no rule matched/)
})

t.test('the excerpt shows invisible characters and puts the marker under wide text', async (t) => {
  t.equal(renderVisible('赌\u200b博\n'), '赌<U+200B>博⏎')
  t.equal(measureWidth('a赌🎲\u0301'), 5)
  t.same(renderExcerpt('周末去赌博吗', 3, 5), ['周末去赌博吗', '      ^^^^'])
  const long = `${'x'.repeat(40)}赌博${'y'.repeat(40)}`
  const [excerpt, marker] = renderExcerpt(long, 40, 42)
  t.equal(excerpt, `…${'x'.repeat(16)}赌博${'y'.repeat(16)}…`)
  t.equal(marker, `${' '.repeat(17)}^^^^`)
})

t.test('usage errors exit 2 with a reason and the usage on stderr', async (t) => {
  const policy = writePolicy(t, CHECK_POLICY)
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /expected a command/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown policy command', ['policy', 'lint'], /unknown command 'lint'/],
    ['no text to check', ['policy', 'check', '--policy', policy], /expected one text/],
    ['two texts to check', ['policy', 'check', '--policy', policy, 'a', 'b'], /got 2/],
    ['an unknown option', ['policy', 'check', '--nope', 'a'], /Unknown option '--nope'/],
    ['an option without value', ['policy', 'check', 'a', '--policy'], /argument missing/],
    ['two policy files', ['policy', 'test', '--policy', policy, policy], /at most one/],
  ]
  for (const [name, argv, reason] of cases) {
    const result = await run(argv)
    t.equal(result.code, 2, `${name} exits 2`)
    t.equal(result.stdout, '', `${name} prints nothing on stdout`)
    t.match(result.stderr, reason, `${name} says why`)
    t.match(result.stderr, /Usage: warden/, `${name} shows the usage`)
  }
})

t.test('--help prints the usage of warden, policy, check and test', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--help'], /Usage: warden <command>[\s\S]*policy/],
    [['policy', '--help'], /Usage: warden policy <command>[\s\S]*check[\s\S]*test/],
    [['policy', 'check', '--help'], /Usage: warden policy check[\s\S]*--json/],
    [['policy', 'test', '-h'], /Usage: warden policy test[\s\S]*examples\.miss/],
  ]
  for (const [argv, usage] of cases) {
    const result = await run(argv)
    t.equal(result.code, 0, `${argv.join(' ')} exits 0`)
    t.match(result.stdout, usage, `${argv.join(' ')} prints its usage`)
    t.equal(result.stderr, '')
  }
})

t.test('--version prints the version in package.json', async (t) => {
  const manifest = JSON.parse(await readFile('package.json', 'utf8'))
  const result = await run(['--version'])
  t.equal(result.code, 0)
  t.equal(result.stdout, `${manifest.version}\n`)
})

t.test('an invalid policy exits 1 with WARDEN_POLICY_INVALID naming file and line', async (t) => {
  const broken = CHECK_POLICY.replace('severity: high', 'severity: huge')
  const policy = writePolicy(t, broken)
  for (const argv of [
    ['policy', 'check', '--policy', policy, '--json', '赌博'],
    ['policy', 'test', policy],
  ]) {
    const result = await run(argv)
    t.equal(result.code, 1, `${argv[1]} exits 1`)
    t.equal(result.stdout, '', `${argv[1]} prints nothing on stdout`)
    t.match(result.stderr, /WARDEN_POLICY_INVALID/)
    t.match(result.stderr, policy)
    t.match(result.stderr, /rules\[0\]\.severity \(line 5\)/)
  }

  const missing = await run(['policy', 'check', '--policy', `${policy}.gone`, 'x'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /could not be read \(ENOENT\)/)
})

type Examples = Record<string, { hit: string[]; miss: string[] }>

const EXAMPLE_POLICY = {
  agreeing: {
    'no-gambling': { hit: ['周末去赌博吗', 'want to gamble?'], miss: ['博物馆', 'gambler'] },
    // 'gamble' is flagged by no-gambling, but only this rule's own hits count for its misses.
    'mentions-bonus': { hit: ['年终奖金'], miss: ['gamble', '奖状'] },
  },
  disagreeing: {
    'no-gambling': { hit: ['周末去赌博吗', '打麻将'], miss: ['赌博'] },
    'mentions-bonus': { hit: ['bonus'], miss: [] },
  },
} satisfies Record<string, Examples>

/** CHECK_POLICY with examples under each rule; the schema refuses empty lists, so they go. */
function formatExamplePolicy(examples: Examples): string {
  const rules = [GAMBLING_RULE, REVIEW_RULE].map((lines) => {
    const id = (lines[0] ?? '').replace('  - id: ', '')
    const lists = Object.entries(examples[id] ?? {}).filter(([, texts]) => texts.length > 0)
    const listed = lists.map(([kind, texts]) => `      ${kind}: ${JSON.stringify(texts)}`)
    return listed.length > 0 ? [...lines, '    examples:', ...listed] : lines
  })
  return ['rules:', ...rules.flat(), ''].join('\n')
}

function compileWithExamples(examples: Examples) {
  return compilePolicy(formatExamplePolicy(examples), 'examples.yaml')
}

t.test('checkExamples passes rules whose examples agree, ignoring other rules', async (t) => {
  const reports = checkExamples(compileWithExamples(EXAMPLE_POLICY.agreeing))
  t.same(reports, [
    { id: 'no-gambling', hitCount: 2, missCount: 2, failures: [] },
    { id: 'mentions-bonus', hitCount: 1, missCount: 2, failures: [] },
  ])
})

t.test('checkExamples reports a hit example missed and a miss example hit', async (t) => {
  const reports = checkExamples(compileWithExamples(EXAMPLE_POLICY.disagreeing))
  t.same(reports, [
    {
      id: 'no-gambling',
      hitCount: 2,
      missCount: 1,
      failures: [
        { kind: 'hit', text: '打麻将', matched: [] },
        { kind: 'miss', text: '赌博', matched: ['赌博'] },
      ],
    },
    { id: 'mentions-bonus', hitCount: 1, missCount: 0, failures: [] },
  ])
})

function writeExamplePolicy(t: Test, examples: Examples): string {
  return writePolicy(t, formatExamplePolicy(examples))
}

t.test('policy test passes and exits 0 when every example agrees', async (t) => {
  const policy = writeExamplePolicy(t, EXAMPLE_POLICY.agreeing)
  const result = await run(['policy', 'test', policy])
  t.equal(result.code, 0)
  t.equal(result.stderr, '')
  t.match(result.stdout, /^✓ no-gambling: 2 hit, 2 miss examples$/m)
  t.match(result.stdout, /^✓ mentions-bonus: 1 hit, 2 miss examples$/m)
  t.match(result.stdout, /^2 rules, 7 examples: all examples agree$/m)
  t.notMatch(result.stdout, /✗/)
})

t.test('policy test exits 1 and marks the rule whose examples disagree', async (t) => {
  const policy = writeExamplePolicy(t, EXAMPLE_POLICY.disagreeing)
  const result = await run(['policy', 'test', '--policy', policy])
  t.equal(result.code, 1)
  t.match(result.stdout, /^✗ no-gambling: 2 hit, 1 miss examples$/m)
  t.match(result.stdout, /^ {4}hit example "打麻将" produced no hit of this rule$/m)
  t.match(result.stdout, /^ {4}miss example "赌博" was hit at "赌博"$/m)
  t.match(result.stdout, /^✓ mentions-bonus: 1 hit, 0 miss examples$/m)
  t.match(result.stdout, /^2 rules, 4 examples: 1 rule failed$/m)
})

t.test('policy check reads the text from standard input when given -', async (t) => {
  const long = `${'季度报告 '.repeat(40_000)}去赌博`
  async function* stdin() {
    yield Buffer.from(long.slice(0, 1000))
    yield long.slice(1000)
  }
  const out: string[] = []
  const io = {
    stdout: { write: (chunk: string) => out.push(chunk) },
    stderr: { write: () => true },
    env: {},
    stdin: stdin(),
  }
  const code = await runCli(['policy', 'check', '--json', '-'], io)
  t.equal(code, 0)
  const result = JSON.parse(out.join(''))
  t.equal(result.verdict, 'FLAG')
  t.equal(long.slice(result.hits[0].start, result.hits[0].end), '赌博')
})
