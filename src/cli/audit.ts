import { resolveActor } from '../audit/audit-log.js'
import { withArchive } from './archive-session.js'
import { createUsageError } from './args.js'
import type { Command } from './command-table.js'
import { readDate } from './hold.js'
import { writeLine } from './output.js'

const COMMAND_PATH = 'warden audit'

export const auditCommand: Command = {
  name: 'audit',
  summary: 'read the audit log: searches, exports, holds, disposals, policy changes',
  usage: [
    `Usage: ${COMMAND_PATH} [--action NAME] [--actor NAME] [--since DATE] [--limit N] [--json]`,
    '',
    'Prints audit entries newest first. The log is hash-chained like the archive (`warden',
    'verify` checks it); reading it is itself recorded.',
    '',
    'Options:',
    '  --action NAME  only this action (search, export, hold.add, hold.remove, dispose,',
    '                 policy.change, verify, audit.read, admin.command)',
    '  --actor NAME   only entries by this actor',
    '  --since DATE   only entries at or after DATE (a day in ARCHIVE_TIMEZONE, or ISO time)',
    '  --limit N      at most N entries (default 50)',
    '  --json         print a JSON array of entries {seq,at,actor,action,params,outcome,hash}',
    '  --as NAME      who is reading (default $WARDEN_ACTOR, else user@host)',
    '  -h, --help     show this help',
    '',
  ].join('\n'),
  options: {
    action: { type: 'string' },
    actor: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    as: { type: 'string' },
  },
  async run(args, io) {
    const zone = io.env.ARCHIVE_TIMEZONE || 'Asia/Shanghai'
    const since = readDate(args.values.since, '--since', COMMAND_PATH, false, zone)
    const limitText = typeof args.values.limit === 'string' ? args.values.limit : '50'
    if (!/^[1-9]\d{0,5}$/.test(limitText)) {
      throw createUsageError(
        `--limit expects a positive whole number; got '${limitText}'`,
        COMMAND_PATH,
      )
    }
    const limit = Number(limitText)
    const filter: Record<string, unknown> = {}
    if (typeof args.values.action === 'string') filter.action = args.values.action
    if (typeof args.values.actor === 'string') filter.actor = args.values.actor

    const entries = await withArchive(io, COMMAND_PATH, async (session) => {
      const db = session.connection.db
      if (!db) throw new Error('not connected')
      // Equality filters only (cheap everywhere); the time bound and order are applied here.
      const rows = await db.collection('audit_log').find(filter).toArray()
      const chosen = rows
        .filter((row) => !since || (row.at as Date) >= since)
        .sort((a, b) => Number(b.seq) - Number(a.seq))
        .slice(0, limit)
      await session.audit.record({
        actor: resolveActor(args.values.as, io.env),
        action: 'audit.read',
        params: { ...filter, since: since?.toISOString() ?? null, limit },
        outcome: { entries: chosen.length },
      })
      return chosen.map((row) => ({
        id: row._id.toHexString(),
        seq: Number(row.seq),
        at: row.at as Date,
        actor: String(row.actor),
        action: String(row.action),
        params: row.params as unknown,
        outcome: row.outcome as unknown,
        hash: String(row.hash),
      }))
    })
    if (args.values.json) {
      writeLine(io.stdout, JSON.stringify(entries))
      return 0
    }
    if (entries.length === 0) writeLine(io.stdout, 'no audit entries match')
    for (const entry of entries) {
      const at = entry.at.toISOString()
      writeLine(
        io.stdout,
        `#${entry.seq}  ${at}  ${entry.actor}  ${entry.action}  ${JSON.stringify(entry.params)}` +
          `  → ${JSON.stringify(entry.outcome)}`,
      )
    }
    return 0
  },
}
