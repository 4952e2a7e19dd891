import type { KeyObject } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { readSigningKey, readVerifyKey } from '../archive/chain/signing-key.js'
import { resolveActor } from '../audit/audit-log.js'
import { WardenError } from '../errors/warden-error.js'
import { exportArchive } from '../export/export-archive.js'
import { verifyExport } from '../export/verify-export.js'
import { withArchive } from './archive-session.js'
import { createUsageError } from './args.js'
import type { CliIo, Command, ParsedArgs } from './command-table.js'
import { FILTER_OPTIONS, FILTER_USAGE, readFilters } from './filter-options.js'
import { writeLine } from './output.js'

const COMMAND_PATH = 'warden export'

export const exportCommand: Command = {
  name: 'export',
  summary: 'export messages for e-discovery (JSON Lines, CSV, EML, manifest); verify an export',
  usage: [
    `Usage: ${COMMAND_PATH} --out DIR [filters] [--json] [--quiet] [--actor NAME]`,
    `       ${COMMAND_PATH} verify DIR [--json]`,
    '',
    'Writes the messages the filters select (all of them without filters) into DIR, which must',
    'be new or empty: messages.jsonl (canonical records with their chain fields), messages.csv',
    '(metadata, UTF-8 for Excel), eml/ (one mail per conversation-day), chain-segment.jsonl',
    '(every link from the first to the last record, up to the next signed checkpoint) and',
    'manifest.json (counts, SHA-256 of every file, the chain proof). The export is audited.',
    '',
    '`verify DIR` re-hashes the files against the manifest, re-checks every record and link',
    'and the checkpoint signature (key from ARCHIVE_VERIFY_KEY or ARCHIVE_SIGNING_KEY); it',
    'needs no database.',
    '',
    'Exit status: 0 done (verify: intact), 1 verify found a problem or the archive chain is',
    'broken, 2 usage error, 3 database unreachable.',
    '',
    'Filters:',
    ...FILTER_USAGE,
    '',
    'Options:',
    '  --out DIR       where to write the export',
    '  --json          print the manifest (verify: the check result) as JSON',
    '  --quiet         no progress lines on stderr',
    '  --actor NAME    who is exporting, for the audit log (default $WARDEN_ACTOR, else user@host)',
    '  -h, --help      show this help',
    '',
  ].join('\n'),
  options: {
    ...FILTER_OPTIONS,
    out: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    actor: { type: 'string' },
  },
  async run(args, io) {
    if (args.positionals[0] === 'verify') return runVerify(args, io)
    if (args.positionals.length > 0) {
      throw createUsageError(`unexpected argument '${args.positionals[0]}'`, COMMAND_PATH)
    }
    const out = args.values.out
    if (typeof out !== 'string' || out === '') {
      throw createUsageError('--out DIR is required', COMMAND_PATH)
    }
    const filters = readFilters(args.values, io, COMMAND_PATH)
    await refuseNonDirectory(out)
    const actor = resolveActor(args.values.actor, io.env)
    const started = performance.now()
    const onProgress = args.values.quiet
      ? undefined
      : (count: number) => {
          const seconds = (performance.now() - started) / 1000
          writeLine(io.stderr, `… ${count} messages exported (${seconds.toFixed(1)} s)`)
        }
    const result = await withArchive(io, COMMAND_PATH, (session) =>
      exportArchive(
        {
          connection: session.connection,
          timeZone: session.archive.timeZone,
          audit: session.audit,
          actor,
          onProgress,
          signer: io.env.ARCHIVE_SIGNING_KEY ? readSigningKey(io.env.ARCHIVE_SIGNING_KEY) : null,
        },
        filters,
        out,
      ),
    )
    if (args.values.json) {
      writeLine(
        io.stdout,
        JSON.stringify({ ...result.manifest, manifestSha256: result.manifestSha256 }),
      )
      return 0
    }
    const { counts, chain } = result.manifest
    writeLine(io.stdout, `exported ${counts.messages} message(s) to ${result.dir}`)
    writeLine(io.stdout, `  ${counts.emlFiles} EML file(s), ${counts.ruleHits} rule hit(s)`)
    if (chain.segment) {
      const proof = chain.checkpoint
        ? `signed checkpoint at seq ${chain.checkpoint.seq}`
        : 'no signed checkpoint yet'
      writeLine(io.stdout, `  chain seq ${chain.segment.from}..${chain.segment.to}, ${proof}`)
    }
    writeLine(io.stdout, `  manifest SHA-256 ${result.manifestSha256}`)
    return 0
  },
}

/** A target that exists as anything but a directory, or lies under a file, is refused early. */
async function refuseNonDirectory(out: string): Promise<void> {
  const found = await stat(out).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    if (err.code === 'ENOTDIR') return { isDirectory: () => false }
    throw err
  })
  if (found && !found.isDirectory()) {
    throw new WardenError('WARDEN_EXPORT_TARGET_EXISTS', {
      message: `--out ${out} is a file or lies under one: choose a new directory`,
    })
  }
}

async function runVerify(args: ParsedArgs, io: CliIo): Promise<number> {
  const dir = args.positionals[1]
  if (!dir || args.positionals.length > 2) {
    throw createUsageError('verify takes exactly one export directory', COMMAND_PATH)
  }
  const check = await verifyExport(dir, readPublicKey(io))
  if (args.values.json) {
    writeLine(io.stdout, JSON.stringify(check))
    return check.ok ? 0 : 1
  }
  writeLine(io.stdout, `${check.messages} record(s), ${check.segmentRows} chain link(s)`)
  const checkpoint = {
    verified: 'checkpoint signature verified',
    unchecked: 'checkpoint not checked: no key configured',
    none: 'no signed checkpoint covers this export',
    bad: 'checkpoint does NOT verify',
  }[check.checkpoint]
  writeLine(io.stdout, `  ${checkpoint}`)
  for (const problem of check.problems) writeLine(io.stdout, `  PROBLEM ${problem}`)
  writeLine(io.stdout, check.ok ? 'export intact' : 'export NOT intact')
  return check.ok ? 0 : 1
}

function readPublicKey(io: CliIo): KeyObject | null {
  if (io.env.ARCHIVE_VERIFY_KEY) return readVerifyKey(io.env.ARCHIVE_VERIFY_KEY)
  if (io.env.ARCHIVE_SIGNING_KEY) return readSigningKey(io.env.ARCHIVE_SIGNING_KEY).publicKey
  return null
}
