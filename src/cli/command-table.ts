import type { ParseArgsConfig } from 'node:util'

/** Where a command writes and what it may read; process streams in production, buffers in tests. */
export interface CliIo {
  stdout: { write(chunk: string): unknown }
  stderr: { write(chunk: string): unknown }
  env: Record<string, string | undefined>
  /** Where `-` reads from; the process's stdin by default. */
  stdin?: AsyncIterable<Buffer | string>
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>

export interface ParsedArgs {
  values: OptionValues
  positionals: string[]
}

/** A leaf of the command tree: `warden policy check`. Returns the process exit code. */
export interface Command {
  name: string
  summary: string
  /** Printed for `--help`: the synopsis and what each option means. */
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  run(args: ParsedArgs, io: CliIo): Promise<number>
}

/** A branch of the command tree: `warden policy`. Its usage is built from its children. */
export interface CommandGroup {
  name: string
  summary: string
  children: CommandNode[]
}

export type CommandNode = Command | CommandGroup

export function isGroup(node: CommandNode): node is CommandGroup {
  return 'children' in node
}

/** The usage of a group: the synopsis and one line per child, aligned. */
export function formatGroupUsage(group: CommandGroup, path: string[]): string {
  const width = Math.max(...group.children.map((child) => child.name.length))
  const lines = group.children.map((child) => `  ${child.name.padEnd(width)}  ${child.summary}`)
  const prefix = path.join(' ')
  return [
    `Usage: ${prefix} <command> [options]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...lines,
    '',
    `Run \`${prefix} <command> --help\` for a command's options.`,
    '',
  ].join('\n')
}
