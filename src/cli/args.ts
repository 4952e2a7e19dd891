import { parseArgs } from 'node:util'
import { WardenError } from '../errors/warden-error.js'
import type { CliIo, Command, OptionValues, ParsedArgs } from './command-table.js'

export const DEFAULT_POLICY_FILE = 'config/policy.yaml'

/** A mistake in how warden was called: exit code 2, with the usage of `commandPath`. */
export function createUsageError(message: string, commandPath: string): WardenError {
  return new WardenError('WARDEN_REQUEST_INVALID', { message, details: { commandPath } })
}

/** Parses a command's arguments; `--help` is understood by every command. */
export function parseCommandArgs(
  command: Command,
  args: string[],
  commandPath: string,
): ParsedArgs & { help: boolean } {
  const options = { ...command.options, help: { type: 'boolean', short: 'h' } } as const
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true })
    const help = values.help === true
    return { values: values as OptionValues, positionals, help }
  } catch (cause) {
    // node:util explains unknown options and missing values well enough; keep its words.
    throw createUsageError((cause as Error).message, commandPath)
  }
}

/** `--policy`, else POLICY_FILE (as the server reads it), else the shipped policy. */
export function readPolicyPath(values: OptionValues, io: CliIo): string {
  const given = values.policy
  if (typeof given === 'string' && given !== '') return given
  return io.env.POLICY_FILE || DEFAULT_POLICY_FILE
}
