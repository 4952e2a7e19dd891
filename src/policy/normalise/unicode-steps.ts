import { FLAGS, markCharacters } from './char-flags.js'
import { isStablePiece, mapPieces, type Pieces, rewritePiece, type StepContext } from './pieces.js'

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu
const MAY_CARRY_LATIN_MARK = /\p{M}|(?![\u0000-\u007f])\p{sc=Latin}/u
const LATIN_THEN_MARKS = /(\p{sc=Latin})\p{M}+/gu
const LEADING_MARKS = /^\p{M}+/u
const ENDS_LATIN = /\p{sc=Latin}$/u

markCharacters(/\p{Default_Ignorable_Code_Point}/u, FLAGS.ignorable)
// 'ı' folds to itself in Unicode, but reads as 'i'; upper-casing it on the way gives that.
markCharacters(/[\p{Changes_When_Casefolded}ı]/u, FLAGS.foldsCase)
markCharacters(/(?![\u0000-\u007f])[\p{M}\p{sc=Latin}]/u, FLAGS.latinOrMark)

/** Compatibility forms to their plain letters and digits: 'ＶＸ' → 'VX', '①' → '1', 'ﬁ' → 'fi'. */
export function applyNfkc(pieces: Pieces, context: StepContext): boolean {
  if (context.nfkc === context.original) return false
  return mapPieces(pieces, 'nfkc', (part) => (isStablePiece(part) ? part : part.normalize('NFKC')))
}

/**
 * Drops what renders as nothing (zero-width characters, bidi controls, soft hyphens, variation
 * selectors, tag characters…): Unicode's own list, so new invisibles are covered by the engine.
 */
export function removeIgnorables(pieces: Pieces, context: StepContext): boolean {
  if ((context.flags & FLAGS.ignorable) === 0) return false
  return mapPieces(pieces, 'ignorable', (part) => part.replace(IGNORABLE, ''))
}

/**
 * Full case folding as far as JavaScript offers it: lower-, upper- then lower-casing also
 * folds 'ß' and 'ẞ' → 'ss', final 'ς' → 'σ' and dotless 'ı' → 'i'; 'İ' becomes 'i' + U+0307,
 * whose dot the next step removes. Per piece, so that sigma does not depend on its neighbours.
 */
export function foldCase(pieces: Pieces, context: StepContext): boolean {
  if ((context.flags & FLAGS.foldsCase) === 0) return false
  return mapPieces(pieces, 'fold-case', (part) => {
    const code = part.charCodeAt(0)
    if (part.length === 1 && code < 0x80)
      return code >= 65 && code <= 90 ? part.toLowerCase() : part
    if (isStablePiece(part)) return part
    return part.toLowerCase().toUpperCase().toLowerCase()
  })
}

/**
 * Removes combining marks carried by Latin letters ('ca\u0301sino' → 'casino'), including a
 * mark left alone after an invisible character between it and its letter was removed.
 * Marks on other scripts stay: in Hangul or Devanagari they are part of the letter, and
 * Hangul syllables are never decomposed.
 */
export function stripLatinMarks(pieces: Pieces, context: StepContext): boolean {
  if ((context.flags & FLAGS.latinOrMark) === 0) return false

  let changed = false
  let previous = ''
  for (let i = 0; i < pieces.parts.length; i++) {
    const part = pieces.parts[i] ?? ''
    if (part === '') continue
    const stripped = isStablePiece(part) ? part : stripMarks(part, previous)
    if (rewritePiece(pieces, i, stripped, 'marks')) changed = true
    previous = stripped
  }
  return changed
}

function stripMarks(part: string, previous: string): string {
  if (!MAY_CARRY_LATIN_MARK.test(part)) return part
  const decomposed = part.normalize('NFD')
  let stripped = decomposed.replace(LATIN_THEN_MARKS, '$1')
  if (LEADING_MARKS.test(stripped) && ENDS_LATIN.test(previous)) {
    stripped = stripped.replace(LEADING_MARKS, '')
  }
  return stripped === decomposed ? part : stripped.normalize('NFC')
}
