import { isWardenError } from '../errors/warden-error.js'
import { parseCommandArgs } from './args.js'
import {
  type CliIo,
  type Command,
  type CommandNode,
  formatGroupUsage,
  isGroup,
} from './command-table.js'
import { WARDEN_COMMANDS } from './commands.js'
import { writeLine } from './output.js'
import { readPackageVersion } from './read-version.js'

const HELP_FLAGS = new Set(['--help', '-h'])
const VERSION_FLAGS = new Set(['--version', '-V'])

/**
 * Runs one warden command line (without `node` and the script) and returns the exit code:
 * 0 success, 1 failure (an invalid policy, failed examples, a broken chain), 2 usage error,
 * 3 the archive database could not be reached.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (VERSION_FLAGS.has(argv[0] ?? '')) {
    writeLine(io.stdout, await readPackageVersion())
    return 0
  }
  return dispatch(WARDEN_COMMANDS, argv, ['warden'], io)
}

async function dispatch(node: CommandNode, args: string[], path: string[], io: CliIo) {
  if (!isGroup(node)) return runCommand(node, args, path, io)

  const [name, ...rest] = args
  const usage = formatGroupUsage(node, path)
  if (name !== undefined && HELP_FLAGS.has(name)) {
    io.stdout.write(usage)
    return 0
  }
  const child = node.children.find((candidate) => candidate.name === name)
  if (child) return dispatch(child, rest, [...path, child.name], io)

  const problem = name === undefined ? 'expected a command' : `unknown command '${name}'`
  writeLine(io.stderr, `${path.join(' ')}: ${problem}`)
  io.stderr.write(usage)
  return 2
}

async function runCommand(command: Command, args: string[], path: string[], io: CliIo) {
  const commandPath = path.join(' ')
  try {
    const parsed = parseCommandArgs(command, args, commandPath)
    if (parsed.help) {
      io.stdout.write(command.usage)
      return 0
    }
    return await command.run(parsed, io)
  } catch (err) {
    return reportFailure(err, command, commandPath, io)
  }
}

function reportFailure(err: unknown, command: Command, commandPath: string, io: CliIo): number {
  if (isWardenError(err, 'WARDEN_REQUEST_INVALID')) {
    writeLine(io.stderr, `${commandPath}: ${err.message}`)
    io.stderr.write(command.usage)
    return 2
  }
  if (isWardenError(err, 'WARDEN_POLICY_INVALID')) {
    writeLine(io.stderr, `${err.code}: ${err.message}`)
    return 1
  }
  if (isWardenError(err)) {
    // Expected failures (database unreachable, a bad key, a hold conflict): code and reason.
    writeLine(io.stderr, `${commandPath}: ${err.code}: ${err.message}`)
    return err.code === 'WARDEN_ARCHIVE_UNAVAILABLE' ? 3 : 1
  }
  // Anything else is a bug; the stack is what whoever reports it will need.
  writeLine(io.stderr, `${commandPath}: unexpected failure`)
  writeLine(io.stderr, err instanceof Error ? (err.stack ?? err.message) : String(err))
  return 1
}
