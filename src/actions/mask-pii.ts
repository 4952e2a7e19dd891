// Digits, optionally split by single spaces or hyphens (138 0013 8000, 6222-0202-…), and an ID
// number's closing X. Full-width and other decimal digits count too.
const DIGIT_RUN = /\p{Nd}(?:[ -]?\p{Nd})*[Xx]?/gu
const DIGIT = /\p{Nd}/u
const MIN_MASKED_DIGITS = 11
const ID_LENGTH = 18

/**
 * Masks digit runs that look like phone, ID or card numbers: 11 or more digits keep their
 * first 3 and last 4 (138****8000); 18-character runs, the resident ID length, keep their
 * first 6 and last 4 (110105********002X). Shorter numbers (amounts, dates) stay readable.
 * The result has the same length in UTF-16 units, so offsets into the text stay valid.
 */
export function maskPii(text: string): string {
  return text.replace(DIGIT_RUN, maskRun)
}

function maskRun(run: string): string {
  const chars = Array.from(run)
  const digitCount = chars.filter((char) => DIGIT.test(char)).length
  const endsWithX = /[Xx]$/.test(run)
  // An X only belongs to a run of 17 digits (an ID); elsewhere it is an ordinary letter.
  if (endsWithX && digitCount !== ID_LENGTH - 1) return maskRun(run.slice(0, -1)) + run.slice(-1)
  if (digitCount < MIN_MASKED_DIGITS) return run

  const significant = digitCount + (endsWithX ? 1 : 0)
  const keepFirst = significant === ID_LENGTH ? 6 : 3
  const keepLast = 4
  let position = 0
  return chars
    .map((char) => {
      if (!DIGIT.test(char) && !/[Xx]/.test(char)) return char
      position += 1
      const isKept = position <= keepFirst || position > significant - keepLast
      return isKept ? char : '*'.repeat(char.length)
    })
    .join('')
}
