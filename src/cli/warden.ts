#!/usr/bin/env node
import { runCli } from './run.js'

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env }
// exitCode, not exit(): a pipe reader must get every byte already written to stdout.
process.exitCode = await runCli(process.argv.slice(2), io)
