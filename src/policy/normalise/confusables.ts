import { FLAGS, markCharacters } from './char-flags.js'
import { type Pieces, readPart, rewritePiece, type StepContext } from './pieces.js'
import { actOnRuns, PieceKinds } from './runs.js'

/**
 * Letters that pass for a Latin letter, keyed by their case-folded form (this step runs after
 * case folding, so a look-alike capital such as Cyrillic 'Н' arrives here as 'н' and is listed
 * under the Latin letter its capital imitates). Where the small and the capital letter imitate
 * different Latin letters (Greek 'ν'/'Ν', 'υ'/'Υ', 'η'/'Η'), the small letter's look wins,
 * because chat is typed in small letters; Greek 'μ' imitates both 'u' and 'M' and is left out.
 * Compiled by hand from the shapes, not from a published list.
 */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  һ: 'h',
  н: 'h',
  і: 'i',
  ї: 'i',
  ј: 'j',
  к: 'k',
  ӏ: 'l',
  м: 'm',
  п: 'n',
  о: 'o',
  р: 'p',
  ԛ: 'q',
  ѕ: 's',
  т: 't',
  у: 'y',
  ү: 'y',
  ԝ: 'w',
  х: 'x',
  с: 'c',
  ԁ: 'd',
  // Greek
  α: 'a',
  ά: 'a',
  β: 'b',
  ε: 'e',
  έ: 'e',
  η: 'n',
  ι: 'i',
  ί: 'i',
  ϳ: 'j',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ό: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  ύ: 'u',
  ω: 'w',
  χ: 'x',
  γ: 'y',
  ζ: 'z',
  // Armenian
  հ: 'h',
  ո: 'n',
  օ: 'o',
  ս: 'u',
  // Latin letters outside ASCII that read as ASCII ones, small capitals among them
  ɑ: 'a',
  ɡ: 'g',
  ɩ: 'i',
  ɪ: 'i',
  ...readLetters('ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ', 'abcdefghijklmnoprstuvwyz'),
  // Cherokee capitals drawn like Latin ones; case folding leaves them as they are, while their
  // small letters (Unicode 8 on) stay small, so both are listed
  ...readLetters('ᎪᏴᏟᎠᎬᏀᎻᎥᎫᏦᏞᎷᎾᏢᏒᏚᎢᏙᏔᏃᎩ', 'abcdeghijklmoprstvwzy', true),
  // Latin capitals in negative circles and squares (🅒, 🅲), which NFKC keeps as symbols
  ...readEnclosedLetters(0x1f150),
  ...readEnclosedLetters(0x1f170),
}

/**
 * Look-alikes that NFKC turns into another letter before this step could see them (Greek
 * lunate sigma 'ϲ' becomes 'ς', then 'σ'): read from the original piece instead.
 */
const BEFORE_NFKC: Readonly<Record<string, string>> = { ϲ: 'c', Ϲ: 'c' }

/** `shapes[i]` reads as `letters[i]`; with `withSmall`, so does its small letter. */
function readLetters(shapes: string, letters: string, withSmall = false) {
  const entries = Array.from(shapes, (shape, at) => [shape, letters[at] as string])
  const small = withSmall ? entries.map(([shape, letter]) => [shape?.toLowerCase(), letter]) : []
  return Object.fromEntries([...entries, ...small]) as Record<string, string>
}

/** The 26 letters A–Z of a block of enclosed capitals starting at `first`. */
function readEnclosedLetters(first: number) {
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  return Object.fromEntries(
    Array.from(letters, (letter, at) => [String.fromCodePoint(first + at), letter]),
  )
}

/** Pieces that can belong to a Latin-looking word; digits count, as in 'с4sino'. */
const WORD_PIECE =
  /^[\p{sc=Latin}\p{sc=Cyrillic}\p{sc=Greek}\p{sc=Armenian}\p{sc=Cherokee}\p{M}0-9]+$/u
const LATIN_LETTER = /\p{sc=Latin}/u
const LETTER = /\p{L}/u

// Case-insensitive, because the flags are read from the text before case folding.
const LISTED = [...Object.keys(LOOK_ALIKES), ...Object.keys(BEFORE_NFKC)].join('')
markCharacters(new RegExp(`[${LISTED}]`, 'iu'), FLAGS.lookAlike)

export const LOOK_ALIKE_COUNT = Object.keys(LOOK_ALIKES).length

/** What one unchanged character is to this step, so most pieces need a look-up, not a regex. */
const WORD = 1
const LATIN = 2
/** A letter that is neither Latin nor a look-alike: the word it is in is not a Latin one. */
const FOREIGN = 4
const LOOK_ALIKE = 8
const KINDS = new PieceKinds(readTextKind, readTextKind)

/**
 * Replaces look-alikes inside a word that is otherwise Latin: it holds at least one Latin
 * letter and every other letter in it has an entry above. 'саsino' → 'casino', while a
 * genuinely Cyrillic or Greek word ('сахар', 'ακρο') keeps its letters. Emptied pieces neither
 * join nor break a word, so a zero-width character removed earlier cannot split one.
 */
export function foldLookAlikes(pieces: Pieces, context: StepContext): boolean {
  if ((context.flags & FLAGS.lookAlike) === 0) return false

  return actOnRuns(pieces, READER, WORD, foldWord)
}

/** KINDS, but a piece that was a look-alike before NFKC changed it counts as one still. */
const READER = {
  read(pieces: Pieces, index: number): number {
    const kind = KINDS.read(pieces, index)
    return kind > 0 && readLookAlikeBeforeNfkc(pieces, index) ? WORD | LOOK_ALIKE : kind
  },
}

function readLookAlikeBeforeNfkc(pieces: Pieces, index: number): string | undefined {
  if (pieces.parts[index] === undefined) return undefined
  const start = pieces.starts[index] ?? 0
  if ((pieces.ends[index] ?? 0) - start !== 1) return undefined
  return BEFORE_NFKC[pieces.original.charAt(start)]
}

function readTextKind(part: string): number {
  if (part === '') return -1
  // An enclosed capital is a Latin letter in a frame, not a symbol.
  if (LOOK_ALIKES[part] !== undefined && !LETTER.test(part)) return WORD | LATIN | LOOK_ALIKE
  if (!WORD_PIECE.test(part)) return 0
  let kind = WORD
  for (const char of part) {
    const lookAlike = LOOK_ALIKES[char] !== undefined
    if (lookAlike) kind |= LOOK_ALIKE
    if (LATIN_LETTER.test(char)) kind |= LATIN
    else if (LETTER.test(char) && !lookAlike) kind |= FOREIGN
  }
  return kind
}

function foldWord(pieces: Pieces, first: number, end: number, kinds: number): boolean {
  // A word with no look-alike in it would come out as it went in: skip it.
  if ((kinds & (LATIN | FOREIGN | LOOK_ALIKE)) !== (LATIN | LOOK_ALIKE)) return false
  let changed = false
  for (let i = first; i < end; i++) {
    const part = readPart(pieces, i)
    const folded =
      readLookAlikeBeforeNfkc(pieces, i) ??
      Array.from(part, (char) => LOOK_ALIKES[char] ?? char).join('')
    if (rewritePiece(pieces, i, folded, 'confusable')) changed = true
  }
  return changed
}
