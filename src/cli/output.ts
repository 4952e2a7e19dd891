import type { CliIo } from './command-table.js'

const EXCERPT_CONTEXT = 16
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u{fe00}-\u{fe0f}\u{e0100}-\u{e01ef}]/u
const ZERO_WIDTH = /\p{M}/u
const WIDE = /[\p{Extended_Pictographic}\u{1100}-\u{115f}\u{2e80}-\u{a4cf}\u{ac00}-\u{d7a3}]/u
const WIDE_FORMS = /[\u{f900}-\u{faff}\u{fe30}-\u{fe4f}\u{ff00}-\u{ff60}\u{ffe0}-\u{ffe6}]/u
const ASTRAL_WIDE = /[\u{20000}-\u{3fffd}]/u

export function writeLine(stream: CliIo['stdout'], line = ''): void {
  stream.write(`${line}\n`)
}

/**
 * Text as a terminal can show it: zero-width and control characters, the usual tools of an
 * evasion, become `<U+200B>` so that the reader sees why a match spans more than it seems.
 */
export function renderVisible(text: string): string {
  let shown = ''
  for (const char of text) {
    if (char === '\n') shown += '⏎'
    else if (char === '\t') shown += '⇥'
    else if (INVISIBLE.test(char)) shown += formatCodePoint(char)
    else shown += char
  }
  return shown
}

/** Terminal columns of already-rendered text: CJK and emoji take two, combining marks none. */
export function measureWidth(text: string): number {
  let width = 0
  for (const char of text) {
    if (ZERO_WIDTH.test(char)) continue
    const isWide = WIDE.test(char) || WIDE_FORMS.test(char) || ASTRAL_WIDE.test(char)
    width += isWide ? 2 : 1
  }
  return width
}

/** A window of the text around [start, end), and a line of `^` under the match. */
export function renderExcerpt(text: string, start: number, end: number): [string, string] {
  const before = Array.from(text.slice(0, start))
  const after = Array.from(text.slice(end))
  const head = before.length > EXCERPT_CONTEXT ? '…' : ''
  const tail = after.length > EXCERPT_CONTEXT ? '…' : ''
  const prefix = head + renderVisible(before.slice(-EXCERPT_CONTEXT).join(''))
  const match = renderVisible(text.slice(start, end))
  const suffix = renderVisible(after.slice(0, EXCERPT_CONTEXT).join('')) + tail

  const marker = ' '.repeat(measureWidth(prefix)) + '^'.repeat(Math.max(1, measureWidth(match)))
  return [prefix + match + suffix, marker]
}

function formatCodePoint(char: string): string {
  const hex = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')
  return `<U+${hex}>`
}
