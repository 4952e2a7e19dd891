import { type DigitForm, readDigitForm } from './read-digit.js'

/** One digit as written: its value and its span in the original text. */
export interface WrittenDigit {
  digit: number
  start: number
  end: number
}

/**
 * Digits written as one number, maybe with separators: `138 0013-8000`. Groups are the runs of
 * digits with nothing between them and of one form; `groupEnds[i]` is the index in `digits` just
 * after group i.
 */
export interface DigitRun {
  digits: WrittenDigit[]
  groupEnds: number[]
}

/** A stretch of a run that begins and ends at group edges: digits [first, end). */
export interface DigitWindow {
  run: DigitRun
  first: number
  end: number
}

// What people put between groups of digits: spaces, hyphens and dashes, dots and invisible
// characters (zero-width, soft hyphen, BOM).
const SEPARATOR = /^[\s\-.·_\u00ad\u2010-\u2015\u200b-\u200d\u2060\ufeff\u30fb\uff0d\uff0e]$/u
/** More separators than this in a row end the number. */
const MAX_SEPARATORS = 3

// Each detector reads the same message in turn: the last message's runs are kept for the next.
let lastText: string | null = null
let lastRuns: DigitRun[] = []

/**
 * What a detector made of the last message's runs, for the detectors that read another
 * detector's hits (mobile numbers give way to ID and card numbers) and for a policy that also
 * runs that detector: each reads a message once.
 */
export function rememberLastRuns<T>(read: (original: string, runs: DigitRun[]) => T) {
  let lastRunsRead: DigitRun[] | null = null
  let lastResult: T
  return (original: string, runs = findDigitRuns(original)): T => {
    if (runs !== lastRunsRead) {
      lastResult = read(original, runs)
      lastRunsRead = runs
    }
    return lastResult
  }
}

/** Every run of digits in the text, in order; linear in the text. Callers must not alter them. */
export function findDigitRuns(original: string): DigitRun[] {
  if (original !== lastText) {
    lastRuns = scanDigitRuns(original)
    lastText = original
  }
  return lastRuns
}

function scanDigitRuns(original: string): DigitRun[] {
  const runs: DigitRun[] = []
  let run: DigitRun | null = null
  let lastForm: DigitForm | null = null
  let separators = 0

  for (let at = 0; at < original.length; ) {
    const codePoint = original.codePointAt(at) as number
    const end = at + (codePoint > 0xffff ? 2 : 1)
    // Outside a number, an ASCII character other than a digit changes nothing: the common case.
    if (!run && codePoint < 0x30) {
      at = end
      continue
    }
    const reading = readDigitForm(codePoint)
    if (reading) {
      if (!run) {
        run = { digits: [], groupEnds: [] }
        runs.push(run)
      } else if (separators > 0 || reading.form !== lastForm) {
        run.groupEnds.push(run.digits.length)
      }
      run.digits.push({ digit: reading.digit, start: at, end })
      lastForm = reading.form
      separators = 0
    } else if (run && SEPARATOR.test(String.fromCodePoint(codePoint))) {
      separators += 1
      if (separators > MAX_SEPARATORS) run = closeRun(run)
    } else if (run) {
      run = closeRun(run)
    }
    at = end
  }
  if (run) closeRun(run)
  return runs
}

function closeRun(run: DigitRun): null {
  run.groupEnds.push(run.digits.length)
  return null
}

/**
 * Chooses windows of `min`–`max` digits that begin and end at group edges, left to right and
 * without overlap; at each starting group the longest window that `accept` takes wins. A number
 * glued to more digits is therefore never read out of the middle of them.
 */
export function chooseWindows<T>(
  runs: DigitRun[],
  min: number,
  max: number,
  accept: (window: DigitWindow) => T | null,
): T[] {
  const chosen: T[] = []
  for (const run of runs) {
    let group = 0
    while (group < run.groupEnds.length) {
      const first = group === 0 ? 0 : (run.groupEnds[group - 1] as number)
      const found = acceptLongest(run, group, first, min, max, accept)
      if (found) chosen.push(found.result)
      group = found ? found.lastGroup + 1 : group + 1
    }
  }
  return chosen
}

function acceptLongest<T>(
  run: DigitRun,
  group: number,
  first: number,
  min: number,
  max: number,
  accept: (window: DigitWindow) => T | null,
) {
  let lastGroup = group
  while ((run.groupEnds[lastGroup + 1] ?? Number.POSITIVE_INFINITY) - first <= max) lastGroup++

  for (; lastGroup >= group; lastGroup--) {
    const end = run.groupEnds[lastGroup] as number
    if (end - first < min) return null
    if (end - first > max) continue
    const result = accept({ run, first, end })
    if (result !== null) return { result, lastGroup }
  }
  return null
}

/** The window's digits as a string of ASCII digits. */
export function readWindowDigits(window: DigitWindow): string {
  return window.run.digits
    .slice(window.first, window.end)
    .map((written) => written.digit)
    .join('')
}

/** The original span of the window: from its first digit to its last. */
export function findWindowSpan(window: DigitWindow) {
  const first = window.run.digits[window.first] as WrittenDigit
  const last = window.run.digits[window.end - 1] as WrittenDigit
  return { start: first.start, end: last.end }
}
