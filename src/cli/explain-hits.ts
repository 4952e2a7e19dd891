import type { PolicyHit } from '../policy/types.js'
import type { CliIo } from './command-table.js'
import { renderExcerpt, renderVisible, writeLine } from './output.js'
import type { OverallVerdict } from './policy-check.js'

export interface Explanation {
  text: string
  hits: PolicyHit[]
  verdict: OverallVerdict
  policyPath: string
  policyVersion: string
}

/** The readable form of `warden policy check`: the verdict, then each hit and why. */
export function writeExplanation(io: CliIo, explanation: Explanation): void {
  const { hits, verdict } = explanation
  const out = io.stdout
  writeLine(out, `policy: ${explanation.policyPath} (version ${explanation.policyVersion})`)
  writeLine(out, `text:   ${renderVisible(explanation.text)}`)
  writeLine(out, `verdict: ${verdict} — ${describeCount(hits)}`)

  hits.forEach((hit, index) => {
    writeLine(out)
    writeHit(io, explanation.text, hit, index + 1)
  })
}

function writeHit(io: CliIo, text: string, hit: PolicyHit, number: number): void {
  const out = io.stdout
  const [excerpt, marker] = renderExcerpt(text, hit.start, hit.end)
  const heading = `${number}. ${hit.ruleId} v${hit.ruleVersion}: ${hit.verdict}`
  writeLine(out, `${heading}, severity ${hit.severity}`)
  writeLine(out, `   matched:    "${renderVisible(hit.matchedText)}" at [${hit.start}, ${hit.end})`)
  writeLine(out, `               ${excerpt}`)
  writeLine(out, `               ${marker}`)
  writeLine(out, `   normalised: "${renderVisible(hit.normalised)}"`)
  if (hit.steps?.length) writeLine(out, `   steps:      ${hit.steps.join(', ')}`)
  if (hit.reason) writeLine(out, `   reason:     ${hit.reason}`)
  writeLine(out, `   why:        ${hit.description}`)
}

function describeCount(hits: PolicyHit[]): string {
  if (hits.length === 0) return 'no rule matched'
  const rules = new Set(hits.map((hit) => hit.ruleId)).size
  const hitWord = hits.length === 1 ? 'hit' : 'hits'
  const ruleWord = rules === 1 ? 'rule' : 'rules'
  return `${hits.length} ${hitWord} of ${rules} ${ruleWord}`
}
