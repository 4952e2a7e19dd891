#!/usr/bin/env node
// Runs the whole suite: starts FerretDB when MONGODB_URI is not set, runs tap, and ends with
// a plain `N passed, N failed` line (tap's own closing line is not read by every CI) while
// keeping tap's exit code.
import { spawn, spawnSync } from 'node:child_process'

const env = { ...process.env }
let startedDb = false

if (!env.MONGODB_URI) {
  const started = spawnSync('bash', ['scripts/ferretdb.sh', 'start'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = started.stdout.split('\n').find((l) => l.startsWith('MONGODB_URI='))
  if (started.status !== 0 || !line) {
    console.error('could not start FerretDB; set MONGODB_URI to a MongoDB you have instead')
    process.exit(1)
  }
  env.MONGODB_URI = line.slice('MONGODB_URI='.length)
  startedDb = started.stdout.includes('FERRETDB_STARTED=1')
}
env.WARDEN_TEST_MONGODB_URI = env.MONGODB_URI

const tap = spawn('npx', ['tap', ...process.argv.slice(2)], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
})

let summary = null
let buffered = ''
tap.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  buffered += chunk.toString('utf8')
  const lines = buffered.split('\n')
  buffered = lines.pop() ?? ''
  for (const line of lines) {
    const match = /^# \{ (total: \d+.*) \}$/.exec(line.trim())
    if (match)
      summary = Object.fromEntries(
        [...match[1].matchAll(/(\w+): (\d+)/g)].map((m) => [m[1], Number(m[2])]),
      )
  }
})

tap.on('close', (code) => {
  if (startedDb && !env.WARDEN_KEEP_DB)
    spawnSync('bash', ['scripts/ferretdb.sh', 'stop'], { stdio: 'inherit' })
  const passed = summary?.pass ?? 0
  const failed = (summary?.fail ?? 0) + (code !== 0 && !summary?.fail ? 1 : 0)
  const skipped = (summary?.skip ?? 0) + (summary?.todo ?? 0)
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
  process.exit(code ?? 1)
})
