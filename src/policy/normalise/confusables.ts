import { FLAGS, markCharacters } from './char-flags.js'
import { forEachRun, type Pieces, rewritePiece, type StepContext } from './pieces.js'

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
  ϲ: 'c',
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
  // Latin letters outside ASCII that read as ASCII ones
  ɑ: 'a',
  ɡ: 'g',
  ɩ: 'i',
  ɪ: 'i',
}

/** Pieces that can belong to a Latin-looking word; digits count, as in 'с4sino'. */
const WORD_PIECE = /^[\p{sc=Latin}\p{sc=Cyrillic}\p{sc=Greek}\p{sc=Armenian}\p{M}0-9]+$/u
const LATIN_LETTER = /\p{sc=Latin}/u
const LETTER = /\p{L}/u

// Case-insensitive, because the flags are read from the text before case folding.
markCharacters(new RegExp(`[${Object.keys(LOOK_ALIKES).join('')}]`, 'iu'), FLAGS.lookAlike)

export const LOOK_ALIKE_COUNT = Object.keys(LOOK_ALIKES).length

/**
 * Replaces look-alikes inside a word that is otherwise Latin: it holds at least one Latin
 * letter and every other letter in it has an entry above. 'саsino' → 'casino', while a
 * genuinely Cyrillic or Greek word ('сахар', 'ακρο') keeps its letters.
 */
export function foldLookAlikes(pieces: Pieces, context: StepContext): boolean {
  if ((context.flags & FLAGS.lookAlike) === 0) return false

  let changed = false
  forEachRun(
    pieces,
    (part) => WORD_PIECE.test(part),
    (run) => {
      if (!isOtherwiseLatin(pieces, run)) return
      for (const index of run) {
        const folded = Array.from(pieces.parts[index] ?? '', (char) => LOOK_ALIKES[char] ?? char)
        if (rewritePiece(pieces, index, folded.join(''), 'confusable')) changed = true
      }
    },
  )
  return changed
}

function isOtherwiseLatin(pieces: Pieces, run: number[]): boolean {
  let latin = false
  for (const index of run) {
    for (const char of pieces.parts[index] ?? '') {
      if (LATIN_LETTER.test(char)) latin = true
      else if (LETTER.test(char) && LOOK_ALIKES[char] === undefined) return false
    }
  }
  return latin
}
