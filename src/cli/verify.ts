import type { KeyObject } from 'node:crypto'
import { AUDIT_CHAIN, chainCollections, MESSAGE_CHAIN } from '../archive/chain/chain-spec.js'
import { readSigningKey, readVerifyKey } from '../archive/chain/signing-key.js'
import { type ChainReport, verifyChain } from '../archive/chain/verify-chain.js'
import { resolveActor } from '../audit/audit-log.js'
import type { ArchiveSession } from './archive-session.js'
import { withArchive } from './archive-session.js'
import type { CliIo, Command } from './command-table.js'
import { writeLine } from './output.js'

const COMMAND_PATH = 'warden verify'
const SHOWN_PROBLEMS = 10

export interface VerifyResult {
  intact: boolean
  chains: ChainReport[]
  elapsedMs: number
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check that no archived record was edited, deleted, inserted or reordered',
  usage: [
    `Usage: ${COMMAND_PATH} [--json] [--quiet] [--actor NAME]`,
    '',
    'Walks the message archive and the audit log, recomputes every record hash and link, and',
    'checks each signed checkpoint. Reports the first record that was edited, deleted, inserted',
    'or reordered. MONGODB_URI names the archive; checkpoints are checked with ARCHIVE_VERIFY_KEY',
    '(or the public half of ARCHIVE_SIGNING_KEY); with a key, records older than two',
    'ARCHIVE_CHECKPOINT_MINUTES intervals that no checkpoint covers are reported too. The run',
    'itself is recorded in the audit log; verify creates no index and changes no record.',
    '',
    'Exit status: 0 intact, 1 a break was found, 2 usage error, 3 database unreachable.',
    '',
    'Options:',
    '  --json        print one JSON object: {"intact","chains":[{"chain","records","tipSeq",',
    '                "tipHash","checkpoints","problems":[{"kind","seq","id","detail"}]}]}',
    '  --quiet       no progress lines on stderr',
    '  --actor NAME  who is running it, for the audit log (default $WARDEN_ACTOR, else user@host)',
    '  -h, --help    show this help',
    '',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    actor: { type: 'string' },
  },
  async run(args, io) {
    const publicKey = readPublicKey(io)
    const result = await withArchive(
      io,
      COMMAND_PATH,
      async (session) => {
        const verified = await verifyArchive(session, publicKey, args.values.quiet ? null : io)
        await session.audit
          .record({
            actor: resolveActor(args.values.actor, io.env),
            action: 'verify',
            params: {},
            outcome: {
              intact: verified.intact,
              chains: verified.chains.map((chain) => ({
                chain: chain.chain,
                records: chain.records,
                tipSeq: chain.tipSeq,
                problems: chain.problems.length,
              })),
            },
          })
          .catch(() => writeLine(io.stderr, 'warden verify: the run could not be audited'))
        return verified
      },
      { readOnly: true },
    )
    if (args.values.json) writeLine(io.stdout, JSON.stringify(result))
    else printReport(result, publicKey !== null, io)
    return result.intact ? 0 : 1
  },
}

/** Verifies the audit log first (it says which records were lawfully disposed), then messages. */
export async function verifyArchive(
  session: ArchiveSession,
  publicKey: KeyObject | null,
  progressTo: CliIo | null,
): Promise<VerifyResult> {
  const started = performance.now()
  const minutes = Number(session.env.ARCHIVE_CHECKPOINT_MINUTES ?? 60)
  const checkpointEveryMs = (Number.isFinite(minutes) && minutes > 0 ? minutes : 60) * 60_000
  const progress = (chain: string) => {
    if (!progressTo) return undefined
    return (records: number) => {
      const seconds = (performance.now() - started) / 1000
      const rate = seconds > 0 ? Math.round(records / seconds) : 0
      writeLine(progressTo.stderr, `… ${chain}: ${records} records verified (${rate}/s)`)
    }
  }
  const auditCollections = chainCollections(session.connection, AUDIT_CHAIN)
  const audit = await verifyChain(AUDIT_CHAIN, auditCollections, {
    publicKey,
    checkpointEveryMs,
    onProgress: progress('audit'),
  })
  const disposed = await disposedIds(auditCollections.records)
  const messages = await verifyChain(
    MESSAGE_CHAIN,
    chainCollections(session.connection, MESSAGE_CHAIN),
    {
      publicKey,
      checkpointEveryMs,
      disposed,
      onProgress: progress('messages'),
    },
  )
  const chains = [messages, audit]
  return {
    intact: chains.every((chain) => chain.intact),
    chains,
    elapsedMs: Math.round(performance.now() - started),
  }
}

async function disposedIds(records: ReturnType<typeof chainCollections>['records']) {
  const ids = new Set<string>()
  const cursor = records.find({ action: 'dispose' }, { projection: { 'outcome.disposed': 1 } })
  for await (const entry of cursor) {
    const disposed = (entry.outcome as { disposed?: { id?: string }[] } | undefined)?.disposed ?? []
    for (const item of disposed) if (typeof item.id === 'string') ids.add(item.id)
  }
  return ids
}

function readPublicKey(io: CliIo): KeyObject | null {
  if (io.env.ARCHIVE_VERIFY_KEY) return readVerifyKey(io.env.ARCHIVE_VERIFY_KEY)
  if (io.env.ARCHIVE_SIGNING_KEY) return readSigningKey(io.env.ARCHIVE_SIGNING_KEY).publicKey
  return null
}

function printReport(result: VerifyResult, keyed: boolean, io: CliIo): void {
  for (const chain of result.chains) {
    const status = chain.intact ? 'intact' : `BROKEN (${chain.problems.length} problem(s))`
    writeLine(
      io.stdout,
      `${chain.chain}: ${chain.records} records, tip seq ${chain.tipSeq}, ${status}`,
    )
    const { total, verified, lastSeq } = chain.checkpoints
    if (total === 0) writeLine(io.stdout, '  no signed checkpoints yet')
    else if (!keyed) writeLine(io.stdout, `  ${total} checkpoint(s) not checked: no key configured`)
    else
      writeLine(
        io.stdout,
        `  ${verified}/${total} signed checkpoint(s) verified, last at seq ${lastSeq}`,
      )
    if (chain.tombstones > 0)
      writeLine(io.stdout, `  ${chain.tombstones} disposed record(s) (tombstones)`)
    for (const [index, problem] of chain.problems.slice(0, SHOWN_PROBLEMS).entries()) {
      const where = problem.seq === null ? 'no seq' : `seq ${problem.seq}`
      const id = problem.id ? ` _id ${problem.id}` : ''
      const lead = index === 0 ? 'FIRST' : '     '
      writeLine(io.stdout, `  ${lead} ${problem.kind} at ${where}${id}: ${problem.detail}`)
    }
    if (chain.problems.length > SHOWN_PROBLEMS) {
      writeLine(io.stdout, `  … and ${chain.problems.length - SHOWN_PROBLEMS} more`)
    }
  }
  const seconds = (result.elapsedMs / 1000).toFixed(1)
  writeLine(
    io.stdout,
    result.intact ? `archive intact (${seconds} s)` : `archive NOT intact (${seconds} s)`,
  )
}
