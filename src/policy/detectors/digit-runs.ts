import { type DigitForm, isKnownNonDigit, readDigitForm } from './read-digit.js'

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

/**
 * Every run of at least MIN_RUN_DIGITS digits in the text, in order; linear in the text.
 * Callers must not alter them.
 */
export function findDigitRuns(original: string): DigitRun[] {
  if (original !== lastText) {
    lastRuns = scanDigitRuns(original)
    lastText = original
  }
  return lastRuns
}

/**
 * Fewer digits than this make no number a detector reads (a mobile number, the shortest, has
 * 11): shorter runs are dropped as they are read, so that the prices, times and counts of
 * ordinary chat cost no objects.
 */
export const MIN_RUN_DIGITS = 11

/** The run being read, kept flat until it is long enough to be kept. */
class PendingRun {
  count = 0
  groups = 0
  digits: Int32Array = new Int32Array(64)
  starts: Int32Array = new Int32Array(64)
  ends: Int32Array = new Int32Array(64)
  groupEnds: Int32Array = new Int32Array(64)

  addDigit(digit: number, start: number, end: number): void {
    if (this.count === this.digits.length) {
      this.digits = grow(this.digits)
      this.starts = grow(this.starts)
      this.ends = grow(this.ends)
    }
    this.digits[this.count] = digit
    this.starts[this.count] = start
    this.ends[this.count++] = end
  }

  endGroup(): void {
    if (this.groups === this.groupEnds.length) this.groupEnds = grow(this.groupEnds)
    this.groupEnds[this.groups++] = this.count
  }

  /** Closes the run, adding it to `runs` if it has digits enough; reading starts afresh. */
  close(runs: DigitRun[]): void {
    this.endGroup()
    if (this.count >= MIN_RUN_DIGITS) {
      const digits: WrittenDigit[] = []
      for (let i = 0; i < this.count; i++) {
        digits.push({
          digit: this.digits[i] as number,
          start: this.starts[i] as number,
          end: this.ends[i] as number,
        })
      }
      runs.push({ digits, groupEnds: Array.from(this.groupEnds.subarray(0, this.groups)) })
    }
    this.count = 0
    this.groups = 0
  }
}

function grow(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2)
  grown.set(array)
  return grown
}

const pending = new PendingRun()

function scanDigitRuns(original: string): DigitRun[] {
  const runs: DigitRun[] = []
  const run = pending
  run.count = 0
  run.groups = 0
  let open = false
  let lastForm: DigitForm | null = null
  let separators = 0

  for (let at = 0; at < original.length; ) {
    // Outside a number, a character known to be no digit changes nothing: the common case.
    if (!open && isKnownNonDigit(original.charCodeAt(at))) {
      at++
      continue
    }
    const codePoint = original.codePointAt(at) as number
    const end = at + (codePoint > 0xffff ? 2 : 1)
    const reading = readDigitForm(codePoint)
    if (reading) {
      if (!open) open = true
      else if (separators > 0 || reading.form !== lastForm) run.endGroup()
      run.addDigit(reading.digit, at, end)
      lastForm = reading.form
      separators = 0
    } else if (open && isSeparator(codePoint)) {
      separators += 1
      if (separators > MAX_SEPARATORS) open = closeRun(run, runs)
    } else if (open) {
      open = closeRun(run, runs)
    }
    at = end
  }
  if (open) closeRun(run, runs)
  return runs
}

/** Per BMP code unit, 0 not yet read, 1 no separator, 2 a separator: spares a regex call. */
const BMP_SEPARATORS = new Uint8Array(0x10000)

function isSeparator(codePoint: number): boolean {
  if (codePoint > 0xffff) return SEPARATOR.test(String.fromCodePoint(codePoint))
  let known = BMP_SEPARATORS[codePoint] as number
  if (known === 0) {
    known = SEPARATOR.test(String.fromCharCode(codePoint)) ? 2 : 1
    BMP_SEPARATORS[codePoint] = known
  }
  return known === 2
}

function closeRun(run: PendingRun, runs: DigitRun[]): false {
  run.close(runs)
  return false
}

/**
 * Chooses windows of `min`–`max` digits (`min` at least MIN_RUN_DIGITS) that begin and end at
 * group edges, left to right and without overlap; at each starting group the longest window that
 * `accept` takes wins. A number
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
