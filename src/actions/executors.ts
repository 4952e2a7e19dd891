import type { Model } from 'mongoose'
import type { ArchivedMessage } from '../archive/message-model.js'
import type { Violation } from '../archive/violation-model.js'
import { WardenError } from '../errors/warden-error.js'
import type { WecomClient } from '../wecom/api-client.js'
import type { ActionKindName } from './action-model.js'
import type { Mailer } from './mailer.js'
import type { ActionExecutor } from './perform-action.js'
import type { TemplateRenderer } from './render-templates.js'
import { loadViolationView } from './violation-view.js'

export interface ExecutorDeps {
  violations: Model<Violation>
  messages: Model<ArchivedMessage>
  wecom: WecomClient
  mailer: Mailer
  templates: TemplateRenderer
  /** WeCom drops an identical text to the same user inside this window: a retried send is one. */
  nudgeDuplicateCheckSeconds: number
  mailDomain: string
}

export function buildExecutors(deps: ExecutorDeps): Record<ActionKindName, ActionExecutor> {
  return {
    async nudge(action) {
      const view = await loadViolationView(deps.violations, deps.messages, action.violationId)
      const sent = await deps.wecom.sendText({
        toUser: action.recipients,
        content: deps.templates.renderNudge(view),
        duplicateCheckSeconds: deps.nudgeDuplicateCheckSeconds || undefined,
      })
      const invalid = new Set([...sent.invalidUsers, ...sent.unlicensedUsers])
      const delivered = action.recipients.filter((user) => !invalid.has(user.toLowerCase()))
      if (delivered.length === 0) {
        // WeCom said ok but reached nobody (e.g. every recipient unlicensed): not a success.
        throw new WardenError('WARDEN_WECOM_NO_RECIPIENT', {
          details: { rejected: [...invalid], retryable: false },
        })
      }
      return { delivered, rejected: [...invalid], externalId: sent.msgId }
    },

    async escalate(action) {
      const view = await loadViolationView(deps.violations, deps.messages, action.violationId)
      const email = deps.templates.renderEscalation(view)
      // A fixed Message-ID lets mail systems fold a resend after a crash into one message.
      const messageId = `<${view.violationId}.escalation@${deps.mailDomain}>`
      const result = await deps.mailer.send(action.recipients, email, messageId)
      if (result.accepted.length === 0) {
        throw new WardenError('WARDEN_MAIL_SEND_FAILED', {
          details: { rejected: result.rejected, retryable: false },
        })
      }
      return { delivered: result.accepted, rejected: result.rejected, externalId: result.messageId }
    },
  }
}
