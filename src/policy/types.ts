export type Severity = 'low' | 'medium' | 'high' | 'critical'
export type ActionKind = 'nudge' | 'escalate'
export type Verdict = 'FLAG' | 'REVIEW'

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical']
export const ACTION_KINDS: readonly ActionKind[] = ['nudge', 'escalate']
export const VERDICTS: readonly Verdict[] = ['FLAG', 'REVIEW']

export type ChannelName = 'app-callback' | 'bot' | 'archive' | 'cli'
export type ChatType = 'single' | 'group'
export type Direction = 'inbound' | 'outbound'

export const CHANNEL_NAMES: readonly ChannelName[] = ['app-callback', 'bot', 'archive', 'cli']
export const CHAT_TYPES: readonly ChatType[] = ['single', 'group']
export const DIRECTIONS: readonly Direction[] = ['inbound', 'outbound']

/**
 * One message as the engine reads it. A rule's scope is checked against the optional fields
 * only when they are known: absent or null means "not known", and the rule still applies.
 */
export interface PolicyInput {
  text: string
  fromUser: string | null
  /** A channel outside CHANNEL_NAMES (e.g. 'examples') counts as not known. */
  channel: string
  msgType: string | null
  chatType?: ChatType | null
  direction?: Direction | null
  /** The sender's department ids; `[]` means known to be in none. */
  departments?: string[] | null
}

/** N hits of one rule by one user within a window make the Nth and later ones stronger. */
export interface RuleThreshold {
  hits: number
  /** As written in the policy: '30m', '24h', '7d'. */
  within: string
  withinMs: number
  escalate: { severity?: Severity; actions?: ActionKind[] }
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
  /** The normalised form that matched: for a detector, the value it read (digits, address). */
  normalised: string
  /** Why a detector or proximity reported it, e.g. "resident ID number whose checksum fails". */
  reason?: string
  /** The normalisation steps that changed the matched text, e.g. ['ignorable', 't2s']. */
  steps?: string[]
  /** The rule's threshold; applying it needs the sender's history (src/jobs). */
  threshold?: RuleThreshold
}

/** A rule as `warden policy test` needs it. */
export interface RuleSummary {
  id: string
  version: number
  description: string
  examples: { hit: string[]; miss: string[] }
}

export interface PolicyEngine {
  /** First 12 hex chars of the sha256 of the policy file content. */
  readonly version: string
  /** Number of enabled rules. */
  readonly ruleCount: number
  /** Pure and synchronous; never throws on any text. */
  evaluate(input: PolicyInput): PolicyHit[]
  /** The enabled rules, in policy order, with their examples (empty lists when none). */
  listRules(): RuleSummary[]
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
