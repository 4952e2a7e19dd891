/** Excel runs a cell that starts with one of these as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/
const NEEDS_QUOTES = /[",\r\n]/

/** The byte-order mark Excel needs to read a CSV file as UTF-8. */
export const UTF8_BOM = '\uFEFF'

/**
 * One CSV record (RFC 4180): fields holding a comma, quote or line break are quoted, quotes
 * doubled, and the record ends with CRLF. A text that would start a formula in a spreadsheet
 * gets a leading apostrophe (the JSON Lines file keeps the exact value).
 */
export function csvRow(fields: (string | number | null)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`
}

function csvField(value: string | number | null): string {
  if (value === null) return ''
  let text = String(value)
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
