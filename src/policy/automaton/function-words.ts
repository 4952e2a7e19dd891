/**
 * Chinese characters that stand as words by themselves far more often than they join the
 * character next to them: particles, pronouns, and the commonest verbs, adverbs, prepositions
 * and conjunctions. Next to a gapped keyword (`去赌 博吗`) they say the keyword is not the
 * tail or head of another word, as `打` does in `打赌 博物馆`. A heuristic, kept short.
 */
const FUNCTION_WORDS = new Set(
  [
    ...'的地得了着过吗呢吧啊呀哇嘛么哦啦咯呗',
    ...'我你他她它您咱这那哪谁',
    ...'是在有去来要想会能就都也还又不没很太',
    ...'和与跟或把被给对向从',
  ].map((char) => char.codePointAt(0) as number),
)

/** Whether a character usually stands as a word of its own (see FUNCTION_WORDS). */
export function isFunctionWord(codePoint: number): boolean {
  return FUNCTION_WORDS.has(codePoint)
}
