import type { Model, Types } from 'mongoose'
import { insertOnce } from '../archive/insert-once.js'
import type { Violation } from '../archive/violation-model.js'
import type { ActionKindName, ActionRecord } from './action-model.js'

/**
 * Creates the ledger rows for what a violation asks for: at most one nudge (to the sender, and
 * only for a FLAG) and one escalation (to the supervisors) per violation, however often this
 * runs.
 */
export async function planActions(
  actions: Model<ActionRecord>,
  violation: Violation,
  now: Date = new Date(),
): Promise<Types.ObjectId[]> {
  const ids: Types.ObjectId[] = []
  for (const kind of violation.actions as ActionKindName[]) {
    const recipients = recipientsFor(kind, violation)
    if (recipients.length === 0) continue
    const key = `${violation._id.toHexString()}:${kind}`
    await insertOnce(actions, {
      key,
      violationId: violation._id,
      kind,
      status: 'pending',
      recipients,
      attempts: 0,
      claimedUntil: null,
      lastError: null,
      result: null,
      createdAt: now,
      updatedAt: now,
      sentAt: null,
    })
    const row = await actions.findOne({ key }, { _id: 1 }).lean()
    if (row) ids.push(row._id)
  }
  return ids
}

function recipientsFor(kind: ActionKindName, violation: Violation): string[] {
  // A REVIEW is a doubt for a human reviewer, not a finding to put to the employee.
  if (kind === 'nudge') {
    return violation.fromUser && violation.verdict === 'FLAG' ? [violation.fromUser] : []
  }
  return [...new Set(violation.escalateTo)]
}
