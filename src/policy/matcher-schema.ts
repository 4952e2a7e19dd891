import { DETECTOR_NAMES, type DetectorName } from './detectors/detector-registry.js'
import { prepareKeyword } from './keyword-matcher.js'
import { type Fields, type PolicyChecker, type PolicyPath, withDefault } from './policy-checker.js'
import { findRegexProblem, REGEX_FLAGS } from './regex-matcher.js'

/** What a single matcher finds: at the top of a rule, or as one side of a proximity. */
export type MatcherDefinition =
  | { kind: 'keywords'; keywords: string[] }
  | { kind: 'regex'; pattern: string; flags: string }
  | { kind: 'detector'; detector: DetectorName }

export type RuleMatch =
  | MatcherDefinition
  | { kind: 'proximity'; of: [MatcherDefinition, MatcherDefinition]; within: number }

export const MATCHER_KINDS = ['keywords', 'regex', 'detector', 'proximity'] as const
const INLINE_FIELDS = ['keywords', 'regex', 'flags', 'detector']
const PROXIMITY_FIELDS = ['of', 'within']
/** Characters between the two sides of a proximity; more would pair unrelated words. */
const MAX_WITHIN = 200
// The length is checked first so the duplicate check never runs over a long value.
const REGEX_FLAGS_SET = new RegExp(`^(?=[${REGEX_FLAGS}]{0,${REGEX_FLAGS.length}}$)(?!.*(.).*\\1)`)

/** Exactly one of `kinds` among the fields: the rule's matcher, or a side of a proximity. */
export function readMatch(
  check: PolicyChecker,
  fields: Fields,
  path: PolicyPath,
  kinds: readonly (typeof MATCHER_KINDS)[number][],
): RuleMatch | undefined {
  const present = kinds.filter((kind) => fields[kind] !== undefined)
  if (present.length !== 1) {
    const got = ['none', 'both', 'all three', 'all four'][Math.max(0, present.length - 1)]
    const listed = present.length > 1 ? present : kinds
    const choices = `${listed.slice(0, -1).join(', ')} or ${listed.at(-1)}`
    return check.report(path, `expected exactly one of ${choices}; got ${got}`)
  }
  if (fields.flags !== undefined && present[0] !== 'regex') {
    return check.report([...path, 'flags'], 'expected flags only together with regex')
  }
  const at = [...path, present[0] as string]
  switch (present[0]) {
    case 'keywords':
      return readKeywords(check, fields.keywords, at)
    case 'regex':
      return readRegex(check, fields, path)
    case 'detector': {
      const detector = check.readChoice(fields.detector, at, DETECTOR_NAMES)
      return detector && { kind: 'detector', detector }
    }
    default:
      return readProximity(check, fields.proximity, at)
  }
}

function readProximity(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
): RuleMatch | undefined {
  const fields = check.readFields(value, path, PROXIMITY_FIELDS, 'a map with of and within')
  if (!fields) return undefined

  const within = check.readCount(fields.within, [...path, 'within'], MAX_WITHIN)
  const sides = check.readList(fields.of, [...path, 'of'], 'a list of two matchers')
  if (sides && sides.length !== 2) {
    return check.report([...path, 'of'], `expected a list of two matchers; got ${sides.length}`)
  }
  const of = sides?.map((side, index) => {
    const sidePath = [...path, 'of', index]
    const expected = 'a map with one of keywords, regex or detector'
    const sideFields = check.readFields(side, sidePath, INLINE_FIELDS, expected)
    return sideFields && readMatch(check, sideFields, sidePath, ['keywords', 'regex', 'detector'])
  }) as (MatcherDefinition | undefined)[] | undefined
  const [first, second] = of ?? []
  if (within === undefined || !first || !second) return undefined
  return { kind: 'proximity', of: [first, second], within }
}

function readKeywords(
  check: PolicyChecker,
  value: unknown,
  path: PolicyPath,
): MatcherDefinition | undefined {
  const items = check.readList(value, path, 'a list of at least one keyword') ?? []
  const keywords = items.map((item, index) => {
    const keyword = check.readText(item, [...path, index], 'a keyword')
    if (keyword === undefined || prepareKeyword(keyword) !== '') return keyword
    check.report([...path, index], 'expected a keyword with visible characters')
    return undefined
  })
  const isComplete = items.length > 0 && keywords.every((keyword) => keyword !== undefined)
  return isComplete ? { kind: 'keywords', keywords: keywords as string[] } : undefined
}

function readRegex(
  check: PolicyChecker,
  fields: Fields,
  path: PolicyPath,
): MatcherDefinition | undefined {
  const pattern = check.readText(fields.regex, [...path, 'regex'], 'a regex')
  const flagsExpected = `distinct flags from "${REGEX_FLAGS}"`
  const flags = check.readText(
    withDefault(fields.flags, ''),
    [...path, 'flags'],
    flagsExpected,
    REGEX_FLAGS_SET,
  )
  if (pattern === undefined || flags === undefined) return undefined

  const problem = findRegexProblem(pattern, flags)
  if (!problem) return { kind: 'regex', pattern, flags }
  check.report([...path, 'regex'], problem)
  return undefined
}
