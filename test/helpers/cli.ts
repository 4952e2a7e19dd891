import { runCli } from '../../src/cli/run.js'

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs one warden command line in-process, with its output captured. */
export async function runWarden(argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const io = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env,
  }
  const code = await runCli(argv, io)
  return { code, stdout, stderr }
}
