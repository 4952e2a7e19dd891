import type { SearchFilters } from '../search/search-filters.js'
import { parseBound, parseSince } from '../search/time-range.js'
import { createUsageError } from './args.js'
import type { CliIo, Command, OptionValues } from './command-table.js'

/** The calendar day every accepted --from/--to starts with, alone or before `T` and a time. */
const DAY_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?=$|T)/

/** The filter options `warden search` and `warden export` share. */
export const FILTER_OPTIONS: Command['options'] = {
  user: { type: 'string', multiple: true },
  chat: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  since: { type: 'string' },
  type: { type: 'string', multiple: true },
  rule: { type: 'string' },
  text: { type: 'string' },
}

export const FILTER_USAGE = [
  '  --user ID       sender id (repeat for several: any of them)',
  '  --chat ID       conversation (group chat) id',
  '  --from TIME     from the start of this day (2026-03-01, in ARCHIVE_TIMEZONE) or ISO time',
  '  --to TIME       up to the end of this day (inclusive) or ISO time',
  '  --since SPAN    the last 30m, 12h, 7d or 2w (instead of --from/--to)',
  '  --type TYPE     message type: text, image, voice, ... (repeatable)',
  '  --rule ID       only messages that hit this policy rule',
  '  --text TEXT     a substring of the content (Chinese needs no spaces or segmentation)',
]

export function readFilters(
  values: OptionValues,
  io: CliIo,
  commandPath: string,
  text?: string,
): SearchFilters {
  const timeZone = io.env.ARCHIVE_TIMEZONE || 'Asia/Shanghai'
  const filters: SearchFilters = {}
  const users = stringList(values.user)
  if (users.length > 0) filters.users = users
  if (typeof values.chat === 'string') filters.chatId = values.chat
  const types = stringList(values.type)
  if (types.length > 0) filters.msgTypes = types
  if (typeof values.rule === 'string') filters.ruleId = values.rule
  const query = typeof values.text === 'string' ? values.text : text
  if (query) filters.text = query
  try {
    if (typeof values.since === 'string') {
      if (values.from || values.to) throw new Error('--since cannot be combined with --from/--to')
      Object.assign(filters, parseSince(values.since))
    }
  } catch (err) {
    throw createUsageError((err as Error).message, commandPath)
  }
  if (typeof values.from === 'string') {
    filters.from = readTimeBound(values.from, 'from', timeZone, commandPath)
  }
  if (typeof values.to === 'string') {
    filters.to = readTimeBound(values.to, 'to', timeZone, commandPath)
  }
  return filters
}

/**
 * A --from/--to value as every command reads it: a bare day (YYYY-MM-DD) is that calendar day
 * in `timeZone`, from its first moment (`from`) or through its last (`to`); anything longer must
 * be an ISO time. A day that does not exist (2026-02-30) is refused rather than rolled over,
 * which is what Date would do.
 */
export function readTimeBound(
  value: string,
  edge: 'from' | 'to',
  timeZone: string,
  commandPath: string,
  flag = `--${edge}`,
): Date {
  const malformed = () =>
    createUsageError(
      `${flag} must be a day (2026-03-01) or an ISO time (2026-03-01T09:30:00+08:00), ` +
        `not '${value}'`,
      commandPath,
    )
  const day = DAY_PREFIX.exec(value.trim())
  if (!day || !isCalendarDay(Number(day[1]), Number(day[2]), Number(day[3]))) throw malformed()
  try {
    return parseBound(value, edge, timeZone)
  } catch {
    throw malformed()
  }
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

function stringList(value: OptionValues[string]): string[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  return list.filter((item): item is string => typeof item === 'string' && item !== '')
}

export function readInteger(value: unknown, name: string, commandPath: string): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isInteger(number)) throw createUsageError(`--${name} must be a number`, commandPath)
  return number
}
