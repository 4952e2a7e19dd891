import { resolveActor } from '../audit/audit-log.js'
import type { HoldCriteria, LegalHold } from '../retention/legal-holds.js'
import { withArchive } from './archive-session.js'
import { createUsageError } from './args.js'
import type { Command, CommandGroup, OptionValues } from './command-table.js'
import { readTimeBound } from './filter-options.js'
import { writeLine } from './output.js'

const holdAdd: Command = {
  name: 'add',
  summary: 'place a legal hold: covered records are never disposed while it is in force',
  usage: [
    'Usage: warden hold add --case ID --reason TEXT [--user ID]... [--chat ID]... [--from DATE]',
    '                       [--to DATE] [--all] [--actor NAME] [--json]',
    '',
    'A record is covered when every criterion given matches it (users and chats: any of those',
    'listed; user ids match whatever their case, as in WeCom). DATE is a calendar day in',
    'ARCHIVE_TIMEZONE (default Asia/Shanghai): --from covers it from its first moment, --to',
    'through its last. An ISO time (2026-10-01T09:00:00+08:00) is taken as given. --all covers',
    'the whole archive and takes no other criterion. The hold and who placed it are recorded',
    'in the audit log.',
    '',
    'Options:',
    '  --case ID      the matter or case the hold is for (required)',
    '  --reason TEXT  why, for the record (required)',
    '  --user ID      a WeCom member id; repeat for several',
    '  --chat ID      a chat id; repeat for several',
    '  --from DATE    first day (or moment) covered',
    '  --to DATE      last day (or moment) covered, inclusive',
    '  --all          cover every record',
    '  --actor NAME   who is placing it (default $WARDEN_ACTOR, else user@host)',
    '  --json         print the hold as JSON',
    '  -h, --help     show this help',
    '',
  ].join('\n'),
  options: {
    case: { type: 'string' },
    reason: { type: 'string' },
    user: { type: 'string', multiple: true },
    chat: { type: 'string', multiple: true },
    from: { type: 'string' },
    to: { type: 'string' },
    all: { type: 'boolean' },
    actor: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const path = 'warden hold add'
    const caseId = requireText(args.values.case, '--case', path)
    const reason = requireText(args.values.reason, '--reason', path)
    const timeZone = io.env.ARCHIVE_TIMEZONE || 'Asia/Shanghai'
    const criteria: HoldCriteria = {
      users: idList(args.values.user, '--user', path),
      chats: idList(args.values.chat, '--chat', path),
      from: readDate(args.values.from, '--from', path, false, timeZone),
      to: readDate(args.values.to, '--to', path, true, timeZone),
      all: args.values.all === true,
    }
    const narrowed =
      criteria.users.length + criteria.chats.length > 0 || criteria.from || criteria.to
    if (criteria.all && narrowed) {
      throw createUsageError('--all covers everything: give it alone, or leave it out', path)
    }
    if (!criteria.all && !narrowed) {
      throw createUsageError('give at least one of --user, --chat, --from, --to, or --all', path)
    }
    const actor = resolveActor(args.values.actor, io.env)
    const hold = await withArchive(io, path, (session) =>
      session.holds.add({ caseId, reason, criteria, actor }),
    )
    if (args.values.json) writeLine(io.stdout, JSON.stringify(hold))
    else writeLine(io.stdout, `placed ${hold.holdId} for case ${hold.caseId}: ${describe(hold)}`)
    return 0
  },
}

const holdRemove: Command = {
  name: 'remove',
  summary: 'release a legal hold (its history stays)',
  usage: [
    'Usage: warden hold remove HOLD_ID --reason TEXT [--actor NAME] [--json]',
    '',
    'Releases the hold; records it covered become subject to retention again at the next',
    'disposition run. The release and who made it are recorded in the audit log.',
    '',
    'Options:',
    '  --reason TEXT  why, for the record (required)',
    '  --actor NAME   who is releasing it (default $WARDEN_ACTOR, else user@host)',
    '  --json         print the released hold as JSON',
    '  -h, --help     show this help',
    '',
  ].join('\n'),
  options: { reason: { type: 'string' }, actor: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, io) {
    const path = 'warden hold remove'
    const [holdId, ...extra] = args.positionals
    if (!holdId || extra.length > 0) throw createUsageError('expected exactly one HOLD_ID', path)
    const reason = requireText(args.values.reason, '--reason', path)
    const actor = resolveActor(args.values.actor, io.env)
    const hold = await withArchive(io, path, (session) =>
      session.holds.remove({ holdId, reason, actor }),
    )
    if (args.values.json) writeLine(io.stdout, JSON.stringify(hold))
    else writeLine(io.stdout, `released ${hold.holdId} (case ${hold.caseId})`)
    return 0
  },
}

const holdList: Command = {
  name: 'list',
  summary: 'list legal holds in force (--all: released ones too)',
  usage: [
    'Usage: warden hold list [--all] [--json]',
    '',
    'Options:',
    '  --all       include released holds',
    '  --json      print a JSON array of holds',
    '  -h, --help  show this help',
    '',
  ].join('\n'),
  options: { all: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(args, io) {
    const holds = await withArchive(io, 'warden hold list', (session) =>
      session.holds.list(args.values.all === true),
    )
    if (args.values.json) {
      writeLine(io.stdout, JSON.stringify(holds))
      return 0
    }
    if (holds.length === 0) writeLine(io.stdout, 'no legal holds in force')
    for (const hold of holds) {
      const state = hold.releasedAt ? `released ${hold.releasedAt.toISOString()}` : 'in force'
      writeLine(
        io.stdout,
        `${hold.holdId}  case ${hold.caseId}  ${state}  by ${hold.createdBy} ` +
          `${hold.createdAt.toISOString()}  ${describe(hold)}  — ${hold.reason}`,
      )
    }
    return 0
  },
}

export const holdCommands: CommandGroup = {
  name: 'hold',
  summary: 'place, release and list legal holds',
  children: [holdAdd, holdRemove, holdList],
}

function describe(hold: LegalHold): string {
  const { criteria } = hold
  if (criteria.all) return 'all records'
  const parts = []
  if (criteria.users.length > 0) parts.push(`users ${criteria.users.join(',')}`)
  if (criteria.chats.length > 0) parts.push(`chats ${criteria.chats.join(',')}`)
  if (criteria.from) parts.push(`from ${criteria.from.toISOString()}`)
  if (criteria.to) parts.push(`to ${criteria.to.toISOString()}`)
  return parts.join(', ')
}

/** Repeated ids as given; an empty one is a mistake, never "no filter". */
function idList(value: OptionValues[string], flag: string, path: string): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value]
  for (const item of items) {
    if (typeof item !== 'string' || item.trim() === '') {
      throw createUsageError(`${flag} needs an id; an empty one would match nothing`, path)
    }
  }
  return items as string[]
}

function requireText(value: OptionValues[string], flag: string, path: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw createUsageError(`${flag} is required`, path)
  return value.trim()
}

/**
 * A date option: a bare day is read in `timeZone` and means its first moment, or its last with
 * `endOfDay`. `warden audit --since` still reads days in UTC through the default.
 */
export function readDate(
  value: OptionValues[string],
  flag: string,
  path: string,
  endOfDay = false,
  timeZone = 'UTC',
): Date | null {
  if (value === undefined) return null
  if (typeof value !== 'string') throw createUsageError(`${flag} expects a date`, path)
  return readTimeBound(value, endOfDay ? 'to' : 'from', timeZone, path, flag)
}
