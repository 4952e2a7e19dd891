import { resolveActor } from '../audit/audit-log.js'
import { type SearchHit, type SearchResult, searchArchive } from '../search/search-archive.js'
import { withArchive } from './archive-session.js'
import type { CliIo, Command } from './command-table.js'
import { FILTER_OPTIONS, FILTER_USAGE, readFilters, readInteger } from './filter-options.js'
import { renderVisible, writeLine } from './output.js'

const COMMAND_PATH = 'warden search'

export const searchCommand: Command = {
  name: 'search',
  summary: 'find archived messages by sender, chat, time, type, rule hit and text',
  usage: [
    `Usage: ${COMMAND_PATH} [TEXT] [filters] [--limit N] [--context N] [--cursor C] [--json]`,
    '',
    'Finds archived messages, newest first, each with the conversation around it and the',
    'policy rules it hit. Filters combine (all must hold). Disposed records are never shown.',
    'MONGODB_URI names the archive; each search is recorded in the audit log.',
    '',
    'Exit status: 0 searched (even with no hits), 2 usage error, 3 database unreachable.',
    '',
    'Filters:',
    ...FILTER_USAGE,
    '',
    'Options:',
    '  --limit N       hits per page, 1-500 (default 20)',
    '  --context N     messages shown before and after each hit, 0-20 (default 2)',
    '  --cursor C      continue after the page that printed this cursor',
    '  --json          print {"hits":[...],"nextCursor","plan","stats"}',
    '  --actor NAME    who is searching, for the audit log (default $WARDEN_ACTOR, else user@host)',
    '  -h, --help      show this help',
    '',
  ].join('\n'),
  options: {
    ...FILTER_OPTIONS,
    limit: { type: 'string' },
    context: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean' },
    actor: { type: 'string' },
  },
  async run(args, io) {
    const text = args.positionals.join(' ').trim() || undefined
    const filters = readFilters(args.values, io, COMMAND_PATH, text)
    const page = {
      limit: readInteger(args.values.limit, 'limit', COMMAND_PATH),
      context: readInteger(args.values.context, 'context', COMMAND_PATH),
      cursor: typeof args.values.cursor === 'string' ? args.values.cursor : null,
    }
    const actor = resolveActor(args.values.actor, io.env)
    const result = await withArchive(io, COMMAND_PATH, (session) =>
      searchArchive(
        {
          connection: session.connection,
          timeZone: session.archive.timeZone,
          audit: session.audit,
          actor,
        },
        filters,
        page,
      ),
    )
    if (args.values.json) writeLine(io.stdout, JSON.stringify(result))
    else printResult(result, io)
    return 0
  },
}

function printResult(result: SearchResult, io: CliIo): void {
  for (const hit of result.hits) printHit(hit, io)
  const seconds = (result.stats.elapsedMs / 1000).toFixed(2)
  writeLine(io.stdout, `${result.hits.length} hit(s) in ${seconds} s (plan: ${result.plan})`)
  if (result.nextCursor) writeLine(io.stdout, `more: --cursor ${result.nextCursor}`)
}

function printHit(hit: SearchHit, io: CliIo): void {
  const where = hit.chatId ? `chat ${hit.chatId}` : 'to the app'
  writeLine(io.stdout, `── seq ${hit.seq} · ${hit.time} · ${where} · ${hit.msgType ?? 'event'}`)
  for (const line of hit.before) writeLine(io.stdout, `   ${contextLine(line)}`)
  writeLine(io.stdout, ` > ${contextLine(hit)}`)
  for (const line of hit.after) writeLine(io.stdout, `   ${contextLine(line)}`)
  for (const rule of hit.ruleHits) {
    writeLine(
      io.stdout,
      `   ! ${rule.ruleId} (${rule.severity}, ${rule.verdict}): ${rule.matchedText}`,
    )
  }
}

function contextLine(message: {
  time: string
  fromUser: string | null
  senderName: string | null
  content: string | null
}): string {
  const who = message.senderName ? `${message.senderName} (${message.fromUser})` : message.fromUser
  // Times are UTC (marked Z); days in the output are ARCHIVE_TIMEZONE days.
  const time = `${message.time.slice(0, 19).replace('T', ' ')}Z`
  return `${time} ${who ?? '?'}: ${renderVisible(message.content ?? '')}`
}
