import { AhoCorasick } from './automaton/aho-corasick.js'
import { DictionaryAlphabet } from './automaton/keyword-dictionary.js'
import { findRequiredLiterals, foldLiteralChar } from './regex-literals.js'

/**
 * The required literals of every regex rule of a policy (see regex-literals.ts), found in one
 * Aho–Corasick pass over the message, so that RE2, at several microseconds a call, runs only
 * for the rules whose literals the message holds. The pass is made once per message, when the
 * first regex rule asks, and remembered for the rules after it.
 */
export class RegexPrefilter {
  private readonly ids = new Map<string, number>()
  private readonly alphabet = new DictionaryAlphabet()
  private readonly patterns: number[][] = []
  private automaton: AhoCorasick | null = null
  /** Per literal, the pass in which it was last seen; a pass numbers each new text. */
  private seenIn = new Int32Array(0)
  /**
   * Per BMP code unit, its folded symbol; -1 for surrogates, read as code points. 16-bit
   * unless the literals need more symbols: it is read at every character of every message.
   */
  private symbols: Int16Array | Int32Array = new Int16Array(0)
  private pass = 0
  private lastText: string | null = null
  /** Whether the last text held any literal at all: most messages hold none. */
  private seenAny = false

  /** The literal ids one of which `pattern` needs, or null when it must always run. */
  register(pattern: string, flags: string): number[] | null {
    const literals = findRequiredLiterals(pattern, flags)
    if (literals === null) return null
    this.automaton = null
    this.lastText = null
    return literals.map((literal) => this.addLiteral(literal))
  }

  /** Whether the normalised text holds at least one of the literals. */
  holdsAny(normalised: string, literals: readonly number[]): boolean {
    if (normalised !== this.lastText) this.scan(normalised)
    if (!this.seenAny) return false
    for (const id of literals) if (this.seenIn[id] === this.pass) return true
    return false
  }

  /** Whether the normalised text holds any literal at all. */
  holdsSome(normalised: string): boolean {
    if (normalised !== this.lastText) this.scan(normalised)
    return this.seenAny
  }

  private addLiteral(literal: string): number {
    const known = this.ids.get(literal)
    if (known !== undefined) return known
    const symbols = Array.from(literal, (char) => this.alphabet.add(char.codePointAt(0) as number))
    this.ids.set(literal, this.patterns.length)
    this.patterns.push(symbols)
    return this.patterns.length - 1
  }

  private scan(text: string): void {
    const automaton = this.prepare()
    const { terminal, outputLink } = automaton
    const { seenIn, symbols } = this
    const pass = ++this.pass
    this.lastText = text
    let seenAny = false

    let state = 0
    for (let index = 0; index < text.length; index++) {
      let symbol = symbols[text.charCodeAt(index)] as number
      if (symbol < 0) {
        const codePoint = text.codePointAt(index) as number
        if (codePoint > 0xffff) index++
        symbol = this.alphabet.symbolOf(foldLiteralChar(codePoint))
      }
      if (symbol === 0) {
        state = 0
        continue
      }
      state = automaton.step(state, symbol)
      let node = automaton.firstOutput(state)
      while (node !== 0) {
        seenIn[terminal[node] as number] = pass
        seenAny = true
        node = outputLink[node] as number
      }
    }
    this.seenAny = seenAny
  }

  private readSymbols(): Int16Array | Int32Array {
    const symbols = this.alphabet.size > 0x7fff ? new Int32Array(0x10000) : new Int16Array(0x10000)
    for (let code = 0; code < 0x10000; code++) {
      const surrogate = code >= 0xd800 && code <= 0xdfff
      symbols[code] = surrogate ? -1 : this.alphabet.symbolOf(foldLiteralChar(code))
    }
    return symbols
  }

  private prepare(): AhoCorasick {
    if (this.automaton !== null) return this.automaton
    this.automaton = new AhoCorasick(this.patterns, this.alphabet.size)
    this.seenIn = new Int32Array(this.patterns.length)
    this.symbols = this.readSymbols()
    this.pass = 0
    return this.automaton
  }
}
