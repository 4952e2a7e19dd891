import nodemailer, { type Transporter } from 'nodemailer'
import { WardenError } from '../errors/warden-error.js'
import type { RenderedEmail } from './render-templates.js'

export interface MailResult {
  accepted: string[]
  rejected: string[]
  messageId: string
}

export interface Mailer {
  send(to: string[], email: RenderedEmail, messageId: string): Promise<MailResult>
  verify(): Promise<void>
  close(): void
}

export function createMailer(smtpUrl: string, from: string): Mailer {
  // Every wait is bounded well inside the action lease, so a stuck relay cannot make the lease
  // run out while a send is still under way (which would let a second worker send again).
  const transport: Transporter = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  } as Parameters<typeof nodemailer.createTransport>[0])
  return {
    async send(to, email, messageId) {
      try {
        const info = await transport.sendMail({
          from,
          to,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId,
          headers: { 'X-Warden-Kind': 'escalation' },
        })
        return {
          accepted: (info.accepted ?? []).map(String),
          rejected: (info.rejected ?? []).map(String),
          messageId: info.messageId ?? messageId,
        }
      } catch (err) {
        throw toMailError(err)
      }
    },
    async verify() {
      try {
        await transport.verify()
      } catch (err) {
        throw toMailError(err)
      }
    },
    close() {
      transport.close()
    },
  }
}

function toMailError(err: unknown): WardenError {
  const code = (err as { code?: string }).code ?? 'UNKNOWN'
  const responseCode = (err as { responseCode?: number }).responseCode
  // 5xx replies are permanent by SMTP's own definition; 4xx and network trouble are not.
  // Bad credentials fail the same way until an operator fixes SMTP_URL.
  const permanent = code === 'EAUTH' || (responseCode !== undefined && responseCode >= 500)
  return new WardenError(code === 'EAUTH' ? 'WARDEN_MAIL_AUTH_FAILED' : 'WARDEN_MAIL_SEND_FAILED', {
    cause: err,
    details: { smtpCode: code, responseCode, retryable: !permanent },
  })
}
