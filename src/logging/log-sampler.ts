/**
 * Lets through the first `perWindow` log lines of each kind per window and counts the rest,
 * so a scanner hammering the public callback URL cannot flood the logs. The count of what was
 * held back is reported with the first line of the next window.
 */
export class LogSampler {
  readonly #perWindow: number
  readonly #windowMs: number
  readonly #now: () => number
  readonly #windows = new Map<string, { startedAt: number; seen: number; suppressed: number }>()

  constructor(perWindow = 20, windowMs = 60_000, now: () => number = Date.now) {
    this.#perWindow = perWindow
    this.#windowMs = windowMs
    this.#now = now
  }

  /** Returns null to drop the line, or the number suppressed since the last line let through. */
  admit(kind: string): number | null {
    const now = this.#now()
    let window = this.#windows.get(kind)
    if (!window || now - window.startedAt >= this.#windowMs) {
      const suppressed = window?.suppressed ?? 0
      window = { startedAt: now, seen: 0, suppressed: 0 }
      this.#windows.set(kind, window)
      window.seen += 1
      return suppressed
    }
    window.seen += 1
    if (window.seen > this.#perWindow) {
      window.suppressed += 1
      return null
    }
    return 0
  }
}
