import { FLAGS, LazyTable, markCharacters, readFlags } from './char-flags.js'
import {
  isStablePiece,
  type Pieces,
  readMemoised,
  readPart,
  readSimpleCode,
  type StepContext,
  stepBit,
} from './pieces.js'

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu
const MAY_CARRY_LATIN_MARK = /\p{M}|(?![\u0000-\u007f])\p{sc=Latin}/u
// Han never takes combining marks: any after a Chinese character is disguise ('赌\u0301博').
const LATIN_THEN_MARKS = /([\p{sc=Latin}\p{sc=Han}])\p{M}+/gu
const LEADING_MARKS = /^\p{M}+/u
const ENDS_LATIN = /[\p{sc=Latin}\p{sc=Han}]$/u

markCharacters(/\p{Default_Ignorable_Code_Point}/u, FLAGS.ignorable)
// 'ı' folds to itself in Unicode, but reads as 'i'; upper-casing it on the way gives that.
markCharacters(/[\p{Changes_When_Casefolded}ı]/u, FLAGS.foldsCase)
// Case folding here is JavaScript's, which also changes letters Unicode's folding keeps: the
// Cherokee capitals (folded to small letters) and letters that decompose when upper-cased
// ('ǰ', 'ΐ'). Without this flag they would fold only beside some other flagged character.
markCharacters(
  /[\p{Changes_When_Uppercased}\p{Changes_When_Lowercased}]/u,
  FLAGS.foldsCase,
  (char) => foldCase(char) !== char,
)
markCharacters(/(?![\u0000-\u007f])[\p{M}\p{sc=Latin}]/u, FLAGS.latinOrMark)

/**
 * The characters that one of these steps might change on their own: a superset (NFKC's and
 * case mapping's own lists, invisibles, marks and Latin letters beyond ASCII; checked against
 * the four steps for every code point), so that every other character of a message skips all
 * four steps at the cost of one look-up.
 */
const MAY_CHANGE_PIECE = new RegExp(
  '^(?:[\\p{Changes_When_NFKC_Casefolded}\\p{Changes_When_Casemapped}' +
    '\\p{Default_Ignorable_Code_Point}\\p{M}]|(?![\\u0000-\\u007f])\\p{sc=Latin})$',
  'u',
)
const MAY_CHANGE = new LazyTable((char) => (MAY_CHANGE_PIECE.test(char) ? 1 : 0))

/** Whether one of these steps might change this character on its own (see MAY_CHANGE_PIECE). */
export function mayChangeAlone(char: string): boolean {
  return MAY_CHANGE_PIECE.test(char)
}

const ASTRAL_MAY_CHANGE = new Map<number, number>()
const NFKC_OF_UNIT = new Map<number, string>()
const MAX_CACHED = 4096
const NFKC = stepBit('nfkc')
const IGNORABLE_BIT = stepBit('ignorable')
const FOLD_CASE = stepBit('fold-case')
const MARKS = stepBit('marks')

/**
 * Applies, piece by piece, the steps that look at one piece alone, in pipeline order:
 * NFKC ('ＶＸ' → 'VX', '①' → '1', 'ﬁ' → 'fi'); invisible characters dropped (Unicode's own
 * list: zero-width characters, bidi controls, soft hyphens, variation selectors, tags…); case
 * folded; combining marks on Latin letters removed. Running them on one piece after another
 * gives what running each over the whole text would, since mark stripping, the only one that
 * looks back, only reads pieces that are already through all four.
 */
export function applyPieceSteps(pieces: Pieces, context: StepContext): void {
  const nfkc = (context.flags & FLAGS.nfkc) !== 0
  const ignorable = (context.flags & FLAGS.ignorable) !== 0
  const fold = (context.flags & FLAGS.foldsCase) !== 0
  const marks = (context.flags & FLAGS.latinOrMark) !== 0
  if (!nfkc && !ignorable && !fold && !marks) return

  const steps = { nfkc, ignorable, fold, marks }
  if (pieces.markedCount >= 0) {
    // Unmarked pieces never change: only the marked ones need the steps.
    for (let m = 0; m < pieces.markedCount; m++) {
      const i = pieces.marked[m] as number
      if (mayChange(pieces, i)) applyToPiece(pieces, i, findPrevious(pieces, i), steps)
    }
    return
  }
  let previous = -1
  for (let i = 0; i < pieces.count; i++) {
    if (!mayChange(pieces, i) || applyToPiece(pieces, i, previous, steps)) previous = i
  }
}

interface PieceSteps {
  nfkc: boolean
  ignorable: boolean
  fold: boolean
  marks: boolean
}

function mayChange(pieces: Pieces, index: number): boolean {
  const code = readSimpleCode(pieces, index)
  return code >= 0
    ? MAY_CHANGE.read(code) === 1
    : readMemoised(ASTRAL_MAY_CHANGE, pieces, index, readMayChange) === 1
}

/** The last piece before `index` that a step has not emptied, or -1. */
function findPrevious(pieces: Pieces, index: number): number {
  let previous = index - 1
  while (previous >= 0 && pieces.parts[previous] === '') previous--
  return previous
}

/** Takes piece `index` through the steps; false if it was emptied. */
function applyToPiece(pieces: Pieces, i: number, previous: number, steps: PieceSteps): boolean {
  let part = readPart(pieces, i)
  if (steps.nfkc && part !== '') part = update(pieces, i, part, applyNfkc(part), NFKC)
  if (steps.ignorable && part !== '') {
    part = update(pieces, i, part, removeIgnorables(part), IGNORABLE_BIT)
  }
  if (steps.fold && part !== '') part = update(pieces, i, part, foldCase(part), FOLD_CASE)
  if (part === '') return false
  if (steps.marks) {
    const before = previous < 0 ? '' : readPart(pieces, previous)
    const stripped = isStablePiece(part) ? part : stripMarks(part, before)
    update(pieces, i, part, stripped, MARKS)
  }
  return true
}

// An unchanged astral character none of the steps could change skips them, as a BMP one
// does; any other piece is taken through them.
function readMayChange(part: string): number {
  return readAstralCodeOf(part) && !MAY_CHANGE_PIECE.test(part) ? 0 : 1
}

function readAstralCodeOf(part: string): boolean {
  return part.length === 2 && (part.codePointAt(0) ?? 0) > 0xffff
}

function update(pieces: Pieces, index: number, part: string, next: string, bit: number) {
  if (next === part) return part
  pieces.parts[index] = next
  pieces.changes[index] = (pieces.changes[index] ?? 0) | bit
  return next
}

function applyNfkc(part: string): string {
  if (isStablePiece(part)) return part
  if (part.length !== 1) return part.normalize('NFKC')
  // The same few full-width signs ('，', '！') recur in every message: normalise each once.
  const code = part.charCodeAt(0)
  let normalised = NFKC_OF_UNIT.get(code)
  if (normalised === undefined) {
    normalised = part.normalize('NFKC')
    if (NFKC_OF_UNIT.size < MAX_CACHED) NFKC_OF_UNIT.set(code, normalised)
  }
  return normalised
}

function removeIgnorables(part: string): string {
  return (readFlags(part) & FLAGS.ignorable) === 0 ? part : part.replace(IGNORABLE, '')
}

/**
 * Full case folding as far as JavaScript offers it: lower-, upper- then lower-casing also
 * folds 'ß' and 'ẞ' → 'ss', final 'ς' → 'σ' and dotless 'ı' → 'i'; 'İ' becomes 'i' + U+0307,
 * whose dot the next step removes. Per piece, so that sigma does not depend on its neighbours.
 */
function foldCase(part: string): string {
  const code = part.charCodeAt(0)
  if (part.length === 1 && code < 0x80) return code >= 65 && code <= 90 ? part.toLowerCase() : part
  if (isStablePiece(part)) return part
  return part.toLowerCase().toUpperCase().toLowerCase()
}

/**
 * Removes combining marks carried by Latin letters ('ca\u0301sino' → 'casino') or by Chinese
 * characters (which never take any), including a
 * mark left alone after an invisible character between it and its letter was removed.
 * Marks on other scripts stay: in Hangul or Devanagari they are part of the letter, and
 * Hangul syllables are never decomposed.
 */
function stripMarks(part: string, previous: string): string {
  if (!MAY_CARRY_LATIN_MARK.test(part)) return part
  const decomposed = part.normalize('NFD')
  let stripped = decomposed.replace(LATIN_THEN_MARKS, '$1')
  if (LEADING_MARKS.test(stripped) && ENDS_LATIN.test(previous)) {
    stripped = stripped.replace(LEADING_MARKS, '')
  }
  return stripped === decomposed ? part : stripped.normalize('NFC')
}
