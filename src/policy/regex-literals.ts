/**
 * Literals a policy regex cannot match without: a set of strings such that every match
 * contains at least one of them. A text holding none of them needs no RE2 call, which is what
 * makes 50 regexes per message affordable. The reading is deliberately conservative: anything
 * it does not fully understand counts as "any character", and a construct it does not know at
 * all gives no literals, so the regex always runs. Letters are compared folded (see
 * `foldLiteralChar`), on the text and on the pattern alike.
 */

/** More strings than this in a set and it is no longer worth tracking as exact. */
const MAX_EXACT = 16
/** More alternatives than this in a requirement and the prefilter would rarely skip anything. */
const MAX_REQUIRED = 64
/** `x{n}` with n up to this is read as n copies of x. */
const MAX_EXACT_REPEAT = 4
/** A character class of more characters than this counts as any character. */
const MAX_CLASS = 8

interface LiteralInfo {
  /** Every string the part can match, when few and known; null when not. */
  exact: Set<string> | null
  /** Every match of the part contains one of these; null when no such set is known. */
  required: string[] | null
}

const ANY: LiteralInfo = { exact: null, required: null }
const EMPTY: LiteralInfo = { exact: new Set(['']), required: null }

/** Thrown inside the reader for a construct it does not know: no literals, then. */
class Unknown extends Error {}

/**
 * How the prefilter compares characters: ASCII capitals as small letters, and the only two
 * other characters that RE2's case-insensitive mode matches to an ASCII letter (Kelvin sign,
 * long s; a test checks this against RE2 itself) as those letters.
 */
export function foldLiteralChar(codePoint: number): number {
  if (codePoint >= 0x41 && codePoint <= 0x5a) return codePoint + 0x20
  if (codePoint === 0x212a) return 0x6b
  if (codePoint === 0x17f) return 0x73
  return codePoint
}

/**
 * The strings one of which every match of `pattern` (JavaScript syntax, as the policy writes
 * it; `flags` from REGEX_FLAGS) contains, folded; null when no useful set is known.
 */
export function findRequiredLiterals(pattern: string, flags: string): string[] | null {
  const reader = new PatternReader(pattern, flags.includes('i'))
  try {
    const info = reader.readAlternation()
    if (reader.at < reader.chars.length) return null
    return prefer(info.required, info.exact && [...info.exact])
  } catch (err) {
    if (err instanceof Unknown) return null
    throw err
  }
}

class PatternReader {
  readonly chars: string[]
  at = 0

  constructor(
    pattern: string,
    private readonly ignoreCase: boolean,
  ) {
    this.chars = Array.from(pattern)
  }

  readAlternation(): LiteralInfo {
    const branches = [this.readSequence()]
    while (this.chars[this.at] === '|') {
      this.at++
      branches.push(this.readSequence())
    }
    return branches.length === 1 ? (branches[0] as LiteralInfo) : alternate(branches)
  }

  private readSequence(): LiteralInfo {
    const items: LiteralInfo[] = []
    for (let char = this.chars[this.at]; char !== undefined && char !== '|' && char !== ')'; ) {
      items.push(this.readQuantified(this.readAtom()))
      char = this.chars[this.at]
    }
    return concatenate(items)
  }

  private readAtom(): LiteralInfo {
    const char = this.chars[this.at++] as string
    switch (char) {
      case '(':
        return this.readGroup()
      case '[':
        return this.readClass()
      case '.':
        return ANY
      case '^':
      case '$':
        return EMPTY
      case '\\':
        return this.readEscape()
      case '*':
      case '+':
      case '?':
      case '{':
      case ']':
      case '}':
        throw new Unknown()
      default:
        return this.literal(char.codePointAt(0) as number)
    }
  }

  private readGroup(): LiteralInfo {
    if (this.chars[this.at] === '?') {
      const kind = this.chars[this.at + 1]
      const named = kind === '<' && !['=', '!'].includes(this.chars[this.at + 2] ?? '')
      if (kind === ':') this.at += 2
      else if (named) this.skipPast('>')
      else throw new Unknown()
    }
    const inner = this.readAlternation()
    if (this.chars[this.at++] !== ')') throw new Unknown()
    return inner
  }

  private readQuantified(atom: LiteralInfo): LiteralInfo {
    const char = this.chars[this.at]
    let min: number
    let max: number
    if (char === '*' || char === '+' || char === '?') {
      this.at++
      min = char === '+' ? 1 : 0
      max = char === '?' ? 1 : Number.POSITIVE_INFINITY
    } else if (char === '{') {
      ;[min, max] = this.readBraces()
    } else {
      return atom
    }
    if (this.chars[this.at] === '?') this.at++
    return repeat(atom, min, max)
  }

  private readBraces(): [number, number] {
    const close = this.chars.indexOf('}', this.at)
    const body = this.chars.slice(this.at + 1, close).join('')
    const counts = /^(\d+)(,(\d*))?$/.exec(body)
    if (close < 0 || counts === null) throw new Unknown()
    this.at = close + 1
    const min = Number(counts[1])
    if (counts[2] === undefined) return [min, min]
    return [min, counts[3] === '' ? Number.POSITIVE_INFINITY : Number(counts[3])]
  }

  /** A class is a handful of known characters, or any character. */
  private readClass(): LiteralInfo {
    const negated = this.chars[this.at] === '^'
    if (negated) this.at++
    const members = new Set<number>()
    let known = !negated
    while (this.chars[this.at] !== ']') {
      if (this.at >= this.chars.length) throw new Unknown()
      const first = this.readClassChar()
      let last = first
      if (this.chars[this.at] === '-' && this.chars[this.at + 1] !== ']') {
        this.at++
        last = this.readClassChar()
      }
      if (first < 0 || last < 0 || last - first >= MAX_CLASS) known = false
      for (let code = first; known && code <= last; code++) members.add(code)
      if (members.size > MAX_CLASS) known = false
    }
    this.at++
    if (!known) return ANY
    return alternate([...members].map((code) => this.literal(code)))
  }

  /** One class member's code point; -1 for a class escape such as \d or \p{…}. */
  private readClassChar(): number {
    const char = this.chars[this.at++] as string
    if (char !== '\\') return char.codePointAt(0) as number
    const escaped = this.chars[this.at] ?? ''
    if (escaped === '-') {
      this.at++
      return 0x2d
    }
    return this.readEscapedChar()
  }

  private readEscape(): LiteralInfo {
    const escaped = this.chars[this.at] ?? ''
    if (escaped === 'b' || escaped === 'B') {
      this.at++
      return EMPTY
    }
    const code = this.readEscapedChar()
    return code < 0 ? ANY : this.literal(code)
  }

  /** The character an escape stands for, or -1 for a class of characters (\d, \p{…}). */
  private readEscapedChar(): number {
    const escaped = this.chars[this.at++] ?? ''
    if ('dDwWsS'.includes(escaped)) return -1
    if (escaped === 'p' || escaped === 'P') {
      if (this.chars[this.at] !== '{') throw new Unknown()
      this.skipPast('}')
      return -1
    }
    const control = CONTROL_ESCAPES[escaped]
    if (control !== undefined) return control
    if (escaped === 'x') return this.readHex(2)
    if (escaped === 'u') return this.chars[this.at] === '{' ? this.readBracedHex() : this.readHex(4)
    if (SYNTAX_CHARS.includes(escaped)) return escaped.codePointAt(0) as number
    throw new Unknown()
  }

  private readHex(length: number): number {
    const digits = this.chars.slice(this.at, this.at + length).join('')
    if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digits)) throw new Unknown()
    this.at += length
    return Number.parseInt(digits, 16)
  }

  private readBracedHex(): number {
    const close = this.chars.indexOf('}', this.at)
    const digits = this.chars.slice(this.at + 1, close).join('')
    if (close < 0 || !/^[0-9a-fA-F]{1,6}$/.test(digits)) throw new Unknown()
    this.at = close + 1
    return Number.parseInt(digits, 16)
  }

  private skipPast(char: string): void {
    const close = this.chars.indexOf(char, this.at)
    if (close < 0) throw new Unknown()
    this.at = close + 1
  }

  /**
   * One character. Surrogates and U+FFFD stand for any character, since the engine replaces
   * lone surrogates with U+FFFD before RE2 reads the text; so do letters with case outside
   * ASCII in a case-insensitive pattern, whose other cases the folding does not cover.
   */
  private literal(code: number): LiteralInfo {
    const isSurrogateLike = (code >= 0xd800 && code <= 0xdfff) || code === 0xfffd
    const char = String.fromCodePoint(code)
    if (isSurrogateLike || (this.ignoreCase && code >= 0x80 && CASED.test(char))) return ANY
    return { exact: new Set([String.fromCodePoint(foldLiteralChar(code))]), required: null }
  }
}

const CASED = /[\p{Cased}\p{Changes_When_Casefolded}]/u
const SYNTAX_CHARS = '^$\\.*+?()[]{}|/'
const CONTROL_ESCAPES: Readonly<Record<string, number>> = { n: 10, r: 13, t: 9, f: 12, v: 11 }

function concatenate(items: LiteralInfo[]): LiteralInfo {
  let best: string[] | null = null
  let run: Set<string> | null = new Set([''])
  let complete = true
  for (const item of items) {
    best = prefer(best, item.required)
    if (run !== null && item.exact !== null && run.size * item.exact.size <= MAX_EXACT) {
      run = combine(run, item.exact)
      continue
    }
    best = prefer(best, run && [...run])
    run = item.exact
    complete = false
  }
  best = prefer(best, run && [...run])
  return { exact: complete ? run : null, required: best }
}

function alternate(branches: LiteralInfo[]): LiteralInfo {
  let exact: Set<string> | null = new Set()
  let required: string[] | null = []
  for (const branch of branches) {
    if (exact !== null && branch.exact !== null) exact = new Set([...exact, ...branch.exact])
    else exact = null
    const own = prefer(branch.required, branch.exact && [...branch.exact])
    required = required !== null && own !== null ? [...new Set([...required, ...own])] : null
  }
  if (exact !== null && exact.size > MAX_EXACT) exact = null
  if (required !== null && required.length > MAX_REQUIRED) required = null
  return { exact, required }
}

function repeat(atom: LiteralInfo, min: number, max: number): LiteralInfo {
  if (min === 0 && max === 1 && atom.exact !== null) {
    return { exact: new Set(['', ...atom.exact]), required: null }
  }
  if (min === 0) return EMPTY_OR_MORE
  // Copies of a short exact atom stay exact ('ab{2}' is 'abb'); longer repeats only require.
  if (min === max && min <= MAX_EXACT_REPEAT) {
    return concatenate(Array.from({ length: min }, () => atom))
  }
  const required = prefer(atom.required, atom.exact && [...atom.exact])
  return { exact: null, required }
}

/** `x*`: matches the empty string and more, so it requires nothing. */
const EMPTY_OR_MORE: LiteralInfo = { exact: null, required: null }

function combine(left: Set<string>, right: Set<string>): Set<string> {
  const joined = new Set<string>()
  for (const a of left) for (const b of right) joined.add(a + b)
  return joined
}

/** The more selective of two requirements: longer shortest string, then fewer strings. */
function prefer(a: string[] | null, b: string[] | null): string[] | null {
  const scoreA = scoreRequirement(a)
  const scoreB = scoreRequirement(b)
  if (scoreB > scoreA) return b
  if (scoreA > scoreB || scoreA === 0) return scoreA === 0 ? null : a
  return (a as string[]).length <= (b as string[]).length ? a : b
}

function scoreRequirement(strings: string[] | null): number {
  if (strings === null || strings.length === 0 || strings.length > MAX_REQUIRED) return 0
  return Math.min(...strings.map((text) => text.length))
}
