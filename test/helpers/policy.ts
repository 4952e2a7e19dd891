import type { Test } from 'tap'
import { isWardenError } from '../../src/errors/warden-error.js'
import { compilePolicy } from '../../src/policy/load-policy.js'
import type { PolicyInput } from '../../src/policy/types.js'

export function createInput(text: string): PolicyInput {
  return { text, fromUser: 'mycreate', channel: 'callback', msgType: 'text' }
}

/** The WARDEN_POLICY_INVALID message for a policy that must be refused. */
export function readRejection(t: Test, yaml: string): string {
  try {
    compilePolicy(yaml, 'bad.yaml')
  } catch (err) {
    t.ok(isWardenError(err, 'WARDEN_POLICY_INVALID'), 'fails with WARDEN_POLICY_INVALID')
    return (err as Error).message
  }
  t.fail('policy was accepted')
  return ''
}

/** YAML lines of a gambling rule with the given keyword list (e.g. `赌博, gamble`). */
export function gamblingRule(keywords: string): string[] {
  return [
    '  - id: no-gambling',
    '    description: Please keep gambling out of work chats.',
    `    keywords: [${keywords}]`,
    '    severity: high',
    '    actions: [nudge]',
  ]
}

/** YAML lines of a rule whose hits are only ever REVIEW. */
export const REVIEW_RULE = [
  '  - id: mentions-bonus',
  '    description: Bonus talk may be fine; a person looks at it.',
  '    keywords: [奖金, bonus]',
  '    severity: low',
  '    verdict: REVIEW',
  '    actions: [nudge]',
]
