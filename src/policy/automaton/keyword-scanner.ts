import { AhoCorasick } from './aho-corasick.js'
import {
  collapseSpaces,
  fitsGaps,
  hasBoundaries,
  hasOddWhitespace,
  isMaybeWordBreak,
} from './hit-checks.js'
import type { KeywordDictionary } from './keyword-dictionary.js'
import type { KeywordBoundaries, KeywordSpan, KeywordVariant } from './keyword-types.js'
import type { ReadMode, TextRuns } from './text-runs.js'

export interface ScanSettings {
  boundaries: KeywordBoundaries
  maxGap: number
}

/**
 * One dictionary's automaton over the runs of a text. Every pattern ending at a run is
 * reported (output links), then each of its variants is checked against the run counts,
 * the gaps and the boundaries, which only costs time where a pattern already matched.
 */
export class KeywordScanner {
  private readonly automaton: AhoCorasick

  constructor(
    private readonly dictionary: KeywordDictionary,
    private readonly mode: ReadMode,
    private readonly settings: ScanSettings,
  ) {
    this.automaton = new AhoCorasick(dictionary.patterns, dictionary.alphabet.size)
  }

  collect(text: string, runs: TextRuns, spans: KeywordSpan[]): void {
    const { automaton } = this
    const { terminal, outputLink } = automaton
    runs.read(text, this.dictionary.alphabet, this.mode)

    let state = 0
    for (let run = 0; run < runs.runCount; run++) {
      const symbol = runs.runSymbol[run] as number
      state = symbol === 0 ? 0 : automaton.step(state, symbol)
      let node = automaton.firstOutput(state)
      while (node !== 0) {
        const variants = this.dictionary.variants[terminal[node] as number] as KeywordVariant[]
        for (const variant of variants) this.checkVariant(text, runs, run, variant, spans)
        node = outputLink[node] as number
      }
    }
  }

  private checkVariant(
    text: string,
    runs: TextRuns,
    lastRun: number,
    variant: KeywordVariant,
    spans: KeywordSpan[],
  ): void {
    const { counts } = variant
    if (counts.length === 1) {
      // A keyword of one repeated character (哈哈) ends at every place inside a longer run.
      const first = runs.runFirst[lastRun] as number
      const surplus = (runs.runLength[lastRun] as number) - (counts[0] as number)
      for (let shift = 0; shift <= surplus; shift++) {
        const matched = Array.from({ length: variant.length }, (_, i) => first + shift + i)
        this.checkHit(text, runs, matched, variant, spans)
      }
      return
    }

    // The first run of the keyword ends a text run, the last one starts one, and runs in
    // between keep their first characters: surplus repeats there count as gap.
    const matched: number[] = []
    const firstRun = lastRun - counts.length + 1
    for (let i = 0; i < counts.length; i++) {
      const length = runs.runLength[firstRun + i] as number
      const wanted = counts[i] as number
      if (length < wanted) return
      const from = (runs.runFirst[firstRun + i] as number) + (i === 0 ? length - wanted : 0)
      for (let j = 0; j < wanted; j++) matched.push(from + j)
    }
    this.checkHit(text, runs, matched, variant, spans)
  }

  private checkHit(
    text: string,
    runs: TextRuns,
    matched: number[],
    variant: KeywordVariant,
    spans: KeywordSpan[],
  ): void {
    if (!fitsGaps(runs, matched, variant, this.settings.maxGap)) return

    const start = runs.streamOffset[matched[0] as number] as number
    const last = runs.streamOffset[matched.at(-1) as number] as number
    const end = last + ((text.codePointAt(last) as number) > 0xffff ? 2 : 1)
    if (!hasBoundaries(text, start, end, variant, this.settings.boundaries)) return

    if (isWrittenAt(text, start, end, variant.texts)) {
      spans.push({ start, end })
    } else if (isMaybeWordBreak(text, start, end, variant)) {
      spans.push({ start, end, gapped: true, maybeWordBreak: true })
    } else {
      spans.push({ start, end, gapped: true })
    }
  }
}

/**
 * Whether text[start, end) reads one of the keyword's texts once its whitespace is collapsed.
 * The texts hold single spaces only, so the span is copied only when it holds other whitespace.
 */
function isWrittenAt(text: string, start: number, end: number, texts: readonly string[]) {
  for (const written of texts) {
    if (written.length === end - start && text.startsWith(written, start)) return true
  }
  if (!hasOddWhitespace(text, start, end)) return false
  return texts.includes(collapseSpaces(text.slice(start, end)))
}
