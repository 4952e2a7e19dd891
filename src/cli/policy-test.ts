import { checkExamples, type RuleExampleReport } from '../policy/check-examples.js'
import { loadPolicyFile } from '../policy/load-policy.js'
import { createUsageError, DEFAULT_POLICY_FILE, readPolicyPath } from './args.js'
import type { CliIo, Command, ParsedArgs } from './command-table.js'
import { renderVisible, writeLine } from './output.js'

const COMMAND_PATH = 'warden policy test'

export const policyTestCommand: Command = {
  name: 'test',
  summary: 'check every rule against its own examples',
  usage: [
    `Usage: ${COMMAND_PATH} [--policy FILE | FILE]`,
    '',
    "Each text under a rule's `examples.hit` must produce a hit of that rule, and each text",
    'under `examples.miss` must produce none. Every example runs through the whole policy,',
    'but only the hits of the rule it belongs to count: another rule flagging a `miss`',
    'example of this rule is not a failure.',
    '',
    'Options:',
    `  --policy FILE  the policy to test (default: $POLICY_FILE, else ${DEFAULT_POLICY_FILE})`,
    '  -h, --help     show this help',
    '',
    'Exit codes: 0 all examples agree, 1 an example disagrees or the policy is invalid,',
    '2 usage error.',
    '',
  ].join('\n'),
  options: { policy: { type: 'string' } },
  run: runPolicyTest,
}

async function runPolicyTest({ values, positionals }: ParsedArgs, io: CliIo): Promise<number> {
  if (positionals.length > 1 || (positionals.length === 1 && values.policy !== undefined)) {
    throw createUsageError('expected at most one policy file', COMMAND_PATH)
  }
  const policyPath = positionals[0] ?? readPolicyPath(values, io)
  const engine = await loadPolicyFile(policyPath)

  const reports = checkExamples(engine)
  writeLine(io.stdout, `policy: ${policyPath} (version ${engine.version})`)
  for (const report of reports) writeReport(io, report)

  const failed = reports.filter((report) => report.failures.length > 0).length
  const examples = reports.reduce((sum, report) => sum + report.hitCount + report.missCount, 0)
  const verdict = failed === 0 ? 'all examples agree' : `${count(failed, 'rule')} failed`
  writeLine(
    io.stdout,
    `${count(reports.length, 'rule')}, ${count(examples, 'example')}: ${verdict}`,
  )
  return failed === 0 ? 0 : 1
}

function writeReport(io: CliIo, report: RuleExampleReport): void {
  const mark = report.failures.length === 0 ? '✓' : '✗'
  const counts = `${report.hitCount} hit, ${report.missCount} miss examples`
  writeLine(io.stdout, `${mark} ${report.id}: ${counts}`)
  for (const failure of report.failures) {
    const text = quote(failure.text)
    const problem =
      failure.kind === 'hit'
        ? `hit example ${text} produced no hit of this rule`
        : `miss example ${text} was hit at ${failure.matched.map(quote).join(', ')}`
    writeLine(io.stdout, `    ${problem}`)
  }
}

function quote(text: string): string {
  return `"${renderVisible(text)}"`
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
