import { zonedFormat } from '../archive/search-keys.js'
import { WardenError } from '../errors/warden-error.js'

const DAY = /^\d{4}-\d{2}-\d{2}$/
const DURATION = /^(\d+)\s*(m|h|d|w)$/
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

export interface TimeRange {
  from: Date | null
  to: Date | null
}

/** `7d`, `12h`, `30m`, `2w` before `now`, until `now`. */
export function parseSince(value: string, now = new Date()): TimeRange {
  const match = DURATION.exec(value.trim())
  if (!match) throw invalid(`--since must look like 30m, 12h, 7d or 2w, not '${value}'`)
  const span = Number(match[1]) * (UNIT_MS[match[2] as string] as number)
  return { from: new Date(now.getTime() - span), to: now }
}

/**
 * A bound given on the command line: an ISO date-time, or a bare day (YYYY-MM-DD) read in
 * the archive's time zone; a bare `to` day includes that whole day.
 */
export function parseBound(value: string, edge: 'from' | 'to', timeZone: string): Date {
  const text = value.trim()
  if (DAY.test(text)) {
    const start = startOfDay(text, timeZone)
    if (edge === 'from') return start
    return new Date(startOfDay(nextDay(text), timeZone).getTime() - 1)
  }
  const at = new Date(text)
  if (Number.isNaN(at.getTime())) {
    throw invalid(`--${edge} must be a day (2026-03-01) or an ISO time, not '${value}'`)
  }
  return at
}

/** The instant a calendar day starts in `timeZone`. */
export function startOfDay(day: string, timeZone: string): Date {
  const utc = Date.parse(`${day}T00:00:00Z`)
  const first = utc - offsetMs(new Date(utc), timeZone)
  // Near a daylight-saving change the offset at the guess may differ: settle on that one.
  return new Date(utc - offsetMs(new Date(first), timeZone))
}

/** The day after a YYYY-MM-DD day, as YYYY-MM-DD. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}

export function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
}

const WALL_CLOCK = {
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
} as const

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, in milliseconds. */
function offsetMs(at: Date, timeZone: string): number {
  const format = zonedFormat('en-US', timeZone, WALL_CLOCK)
  const parts: Record<string, number> = {}
  for (const part of format.formatToParts(at)) parts[part.type] = Number(part.value)
  const wall = Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day as number,
    parts.hour as number,
    parts.minute as number,
    parts.second as number,
  )
  return wall - Math.floor(at.getTime() / 1000) * 1000
}

function invalid(message: string): WardenError {
  return new WardenError('WARDEN_REQUEST_INVALID', { message })
}
