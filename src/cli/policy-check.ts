import { loadPolicyFile } from '../policy/load-policy.js'
import type { PolicyHit, PolicyInput } from '../policy/types.js'
import { createUsageError, DEFAULT_POLICY_FILE, readPolicyPath } from './args.js'
import type { CliIo, Command, ParsedArgs } from './command-table.js'
import { writeExplanation } from './explain-hits.js'

export type OverallVerdict = 'FLAG' | 'REVIEW' | 'PASS'

const COMMAND_PATH = 'warden policy check'

export const policyCheckCommand: Command = {
  name: 'check',
  summary: 'explain the verdict the policy gives one text',
  usage: [
    `Usage: ${COMMAND_PATH} [--policy FILE] [--json] [--] "<text>" | -`,
    '',
    'Runs every enabled rule of the policy over the text and explains each hit: the rule, its',
    'verdict and severity, the matched text and where it is, and the normalised form.',
    '',
    'Options:',
    `  --policy FILE  the policy to use (default: $POLICY_FILE, else ${DEFAULT_POLICY_FILE})`,
    '  --json         print one JSON object instead:',
    '                 {"verdict":"FLAG"|"REVIEW"|"PASS","hits":[{"rule","verdict","start","end",',
    '                 "text"}]} with start/end as JavaScript string offsets into the text',
    '  -h, --help     show this help',
    '',
    'The verdict is FLAG if any hit is FLAG, else REVIEW if there is any hit, else PASS.',
    'Exit codes: 0 whatever the verdict, 1 invalid policy, 2 usage error.',
    'Put the text after `--` when it starts with a dash; give `-` to read it from standard',
    'input (for long texts: the command line holds at most about 128 KiB).',
    '',
  ].join('\n'),
  options: {
    policy: { type: 'string' },
    json: { type: 'boolean' },
  },
  run: runPolicyCheck,
}

async function runPolicyCheck({ values, positionals }: ParsedArgs, io: CliIo): Promise<number> {
  if (positionals.length !== 1) {
    const got = positionals.length === 0 ? 'none' : `${positionals.length} (quote the text)`
    throw createUsageError(`expected one text to check; got ${got}`, COMMAND_PATH)
  }
  const text = positionals[0] === '-' ? await readAll(io) : (positionals[0] as string)
  const policyPath = readPolicyPath(values, io)
  const engine = await loadPolicyFile(policyPath)

  const hits = engine.evaluate(createCliInput(text))
  const verdict = summariseVerdict(hits)
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(formatJsonResult(verdict, hits))}\n`)
  } else {
    writeExplanation(io, { text, hits, verdict, policyPath, policyVersion: engine.version })
  }
  return 0
}

/** A text typed at the command line: no sender, so rules scoped to users see nobody. */
export function createCliInput(text: string): PolicyInput {
  return { text, fromUser: null, channel: 'cli', msgType: 'text' }
}

export function summariseVerdict(hits: PolicyHit[]): OverallVerdict {
  if (hits.some((hit) => hit.verdict === 'FLAG')) return 'FLAG'
  return hits.length > 0 ? 'REVIEW' : 'PASS'
}

/** The `--json` contract; outside tools parse it, so its fields and their order are fixed. */
function formatJsonResult(verdict: OverallVerdict, hits: PolicyHit[]) {
  return {
    verdict,
    hits: hits.map((hit) => ({
      rule: hit.ruleId,
      verdict: hit.verdict,
      start: hit.start,
      end: hit.end,
      text: hit.matchedText,
    })),
  }
}

/** The whole of standard input as UTF-8, exactly as given (no trailing newline removed). */
async function readAll(io: CliIo): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of io.stdin ?? process.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
