import { resolveActor } from '../audit/audit-log.js'
import { runDisposition } from '../retention/dispose.js'
import { loadRetentionFile } from '../retention/retention-rules.js'
import { withArchive } from './archive-session.js'
import type { Command, CommandGroup } from './command-table.js'
import { writeLine } from './output.js'

const retentionRun: Command = {
  name: 'run',
  summary: 'dispose of expired records now (the service also does this daily)',
  usage: [
    'Usage: warden retention run [--dry-run] [--file RETENTION_FILE] [--actor NAME] [--json]',
    '',
    'Applies the retention rules: records past their rule and not under a legal hold are emptied',
    'to tombstones (the chain still verifies), each batch recorded in the audit log first, with',
    'who ran it, the retention file and its rules.',
    '',
    'Options:',
    '  --dry-run     count what would be disposed and held; change nothing',
    '  --file F      the retention rules (default $RETENTION_FILE, else config/retention.yaml)',
    '  --actor NAME  who is running it (default $WARDEN_ACTOR, else user@host)',
    '  --json        print the report as JSON',
    '  -h, --help    show this help',
    '',
  ].join('\n'),
  options: {
    'dry-run': { type: 'boolean' },
    file: { type: 'string' },
    actor: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const actor = resolveActor(args.values.actor, io.env)
    const file =
      (typeof args.values.file === 'string' && args.values.file) ||
      io.env.RETENTION_FILE ||
      'config/retention.yaml'
    const policy = await loadRetentionFile(file)
    const report = await withArchive(io, 'warden retention run', (session) =>
      runDisposition(
        {
          connection: session.connection,
          models: session.models,
          audit: session.audit,
          holds: session.holds,
          policy,
          timeZone: io.env.ARCHIVE_TIMEZONE || 'Asia/Shanghai',
          actor,
        },
        { dryRun: args.values['dry-run'] === true },
      ),
    )
    if (args.values.json) {
      writeLine(io.stdout, JSON.stringify(report))
      return 0
    }
    const verb = report.dryRun ? 'would dispose of' : 'disposed of'
    writeLine(
      io.stdout,
      `${verb} ${report.disposed} record(s); ${report.held} held; ${report.days} day(s) examined`,
    )
    for (const [rule, tally] of Object.entries(report.byRule)) {
      writeLine(io.stdout, `  ${rule}: ${tally.disposed} disposed, ${tally.held} held`)
    }
    return 0
  },
}

export const retentionCommands: CommandGroup = {
  name: 'retention',
  summary: 'apply retention rules',
  children: [retentionRun],
}
