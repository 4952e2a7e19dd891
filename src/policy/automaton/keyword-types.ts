import type { NormalisedSpan } from '../types.js'

/**
 * Where a keyword must stand alone. `auto`: a keyword that starts or ends with a Latin-like
 * letter or a digit needs a word boundary on that side (`69` does not hit `695`), CJK needs
 * none; `word`: both sides always need a boundary; `none`: anywhere.
 */
export type KeywordBoundaries = 'auto' | 'none' | 'word'

export interface KeywordMatchOptions {
  boundaries?: KeywordBoundaries
  /**
   * Most skipped code points between two keyword characters (separators, punctuation, emoji,
   * surplus repeats of a CJK character). A run of one repeated separator counts once;
   * joiners, variation selectors and skin tones count nothing. 0 matches only as written.
   */
  maxGap?: number
}

/** A keyword hit in the normalised text, from its first to its last keyword character. */
export interface KeywordSpan extends NormalisedSpan {
  /** The text at the span is not the keyword as written: separators or repeats were skipped. */
  gapped?: true
  /**
   * Gapped over whitespace or punctuation only, where that may be a real word break: a letter
   * that could belong to the keyword's edge touches the span (`我打赌 博物馆`), or a Latin-like
   * keyword was split by spaces (`the rapist`). A human should look rather than flag.
   */
  maybeWordBreak?: true
}

/** One way a pattern of symbols is written: run counts and where its own separators were. */
export interface KeywordVariant {
  /** Per run of the pattern, how many times its character repeats in the keyword. */
  counts: number[]
  /** Total keyword characters (sum of counts). */
  length: number
  /** This shape's prepared keywords, whitespace runs as one space; a hit reading one is exact. */
  texts: string[]
  /** Per keyword character, the gap its own written form has before it (null: none at all). */
  ownGaps: number[] | null
  /** Character classes of the first and last keyword characters. */
  startFlags: number
  endFlags: number
}
