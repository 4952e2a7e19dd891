import { compileKeywordMatcher } from './keyword-matcher.js'
import { mapSpanToOriginal, type NormalisedText } from './normalise-text.js'

interface Span {
  start: number
  end: number
}

/** Keeps the spans of the original text that no allow-listed phrase surrounds. */
export type ExceptionFilter = <T extends Span>(normalised: NormalisedText, spans: T[]) => T[]

/**
 * Allow-listed phrases are read like keywords (same normalisation, same skipped separators),
 * so `反 赌博 宣传` is excepted as `反赌博宣传` is. Containment is judged in the original text,
 * which every kind of hit (keyword, regex, detector, proximity) reports.
 */
export function compileExceptionFilter(phrases: readonly string[]): ExceptionFilter {
  if (phrases.length === 0) return (_normalised, spans) => spans
  const matcher = compileKeywordMatcher(phrases)

  return (normalised, spans) => {
    if (spans.length === 0) return spans
    const allowed = matcher
      .findSpans(normalised.text)
      .map((span) => mapSpanToOriginal(normalised, span))
    if (allowed.length === 0) return spans
    return spans.filter(
      (span) => !allowed.some((phrase) => phrase.start <= span.start && span.end <= phrase.end),
    )
  }
}
