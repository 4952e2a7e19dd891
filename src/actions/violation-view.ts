import type { Model, Types } from 'mongoose'
import type { ArchivedMessage } from '../archive/message-model.js'
import type { Violation } from '../archive/violation-model.js'
import { WardenError } from '../errors/warden-error.js'
import type { ViolationView } from './render-templates.js'

/** Everything a nudge or an escalation says about a violation, read from the archive. */
export async function loadViolationView(
  violations: Model<Violation>,
  messages: Model<ArchivedMessage>,
  violationId: Types.ObjectId,
): Promise<ViolationView> {
  const violation = await violations.findById(violationId).lean()
  const message = violation ? await messages.findById(violation.messageId).lean() : null
  if (!violation || !message) {
    throw new WardenError('WARDEN_NOT_FOUND', {
      details: { violationId: violationId.toHexString(), retryable: false },
    })
  }
  return {
    violationId: violation._id.toHexString(),
    ruleId: violation.ruleId,
    ruleVersion: violation.ruleVersion,
    description: violation.description,
    severity: violation.severity as ViolationView['severity'],
    verdict: violation.verdict as ViolationView['verdict'],
    matchedText: violation.matchedText,
    start: violation.start,
    end: violation.end,
    reason: violation.reason,
    steps: violation.steps,
    message: {
      msgId: message.msgId,
      fromUser: message.fromUser,
      channel: message.channel,
      msgType: message.msgType,
      content: message.content,
      createTime: message.createTime,
      receivedAt: message.receivedAt,
    },
  }
}
