#!/usr/bin/env node
import { runCli } from './run.js'

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env }
process.exit(await runCli(process.argv.slice(2), io))
