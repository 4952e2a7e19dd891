import type { PolicyEngine, PolicyInput } from './types.js'

/** What one example did wrong: a `hit` the rule missed, or a `miss` the rule hit. */
export interface ExampleFailure {
  kind: 'hit' | 'miss'
  text: string
  /** For a failed `miss`: what the rule matched. */
  matched: string[]
}

export interface RuleExampleReport {
  id: string
  hitCount: number
  missCount: number
  failures: ExampleFailure[]
}

function exampleInput(text: string): PolicyInput {
  return { text, fromUser: null, channel: 'examples', msgType: 'text' }
}

/**
 * Runs every rule's examples through the whole engine and keeps what that rule got wrong.
 * Only the rule's own hits count: another rule flagging a `miss` example is not a failure.
 */
export function checkExamples(engine: PolicyEngine): RuleExampleReport[] {
  return engine.listRules().map((rule) => {
    const findOwnHits = (text: string) =>
      engine.evaluate(exampleInput(text)).filter((hit) => hit.ruleId === rule.id)

    const missedHits = rule.examples.hit
      .filter((text) => findOwnHits(text).length === 0)
      .map((text): ExampleFailure => ({ kind: 'hit', text, matched: [] }))
    const wrongMisses = rule.examples.miss.flatMap((text): ExampleFailure[] => {
      const matched = findOwnHits(text).map((hit) => hit.matchedText)
      return matched.length > 0 ? [{ kind: 'miss', text, matched }] : []
    })

    return {
      id: rule.id,
      hitCount: rule.examples.hit.length,
      missCount: rule.examples.miss.length,
      failures: [...missedHits, ...wrongMisses],
    }
  })
}

export function countFailures(reports: RuleExampleReport[]): number {
  return reports.reduce((sum, report) => sum + report.failures.length, 0)
}
