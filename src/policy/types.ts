export type Severity = 'low' | 'medium' | 'high' | 'critical'
export type ActionKind = 'nudge' | 'escalate'
export type Verdict = 'FLAG' | 'REVIEW'

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical']
export const ACTION_KINDS: readonly ActionKind[] = ['nudge', 'escalate']
export const VERDICTS: readonly Verdict[] = ['FLAG', 'REVIEW']

export interface PolicyInput {
  text: string
  fromUser: string | null
  channel: string
  msgType: string | null
}

export interface PolicyHit {
  ruleId: string
  ruleVersion: number
  description: string
  severity: Severity
  verdict: Verdict
  actions: ActionKind[]
  /** Resolved recipients: the rule's own `escalate_to`, else `escalation.default`. */
  escalateTo: string[]
  matchedText: string
  /** JS string offsets into the original `input.text`. */
  start: number
  end: number
  /** The normalised form that matched. */
  normalised: string
}

export interface PolicyEngine {
  /** First 12 hex chars of the sha256 of the policy file content. */
  readonly version: string
  /** Number of enabled rules. */
  readonly ruleCount: number
  /** Pure and synchronous; never throws on any text. */
  evaluate(input: PolicyInput): PolicyHit[]
}

/** A span of the normalised text, as half-open UTF-16 offsets. */
export interface NormalisedSpan {
  start: number
  end: number
}

/**
 * What a rule's matcher does: find spans in normalised text. The engine maps them back to the
 * original, so a later matcher (Aho–Corasick, detectors) only has to honour this contract.
 */
export interface RuleMatcher {
  findSpans(normalised: string): NormalisedSpan[]
}
