import MailComposer from 'nodemailer/lib/mail-composer'
import type { ArchivedMessage } from '../archive/message-model.js'

/** The messages of one conversation on one day, in chain order. */
export interface ConversationDay {
  day: string
  /** `chat:<chatId>` or `user:<fromUser>` for one-to-one messages to the app. */
  conversation: string
  messages: ArchivedMessage[]
}

export function conversationOf(doc: ArchivedMessage): string {
  return doc.chatId === null ? `user:${doc.fromUser ?? ''}` : `chat:${doc.chatId}`
}

/**
 * One RFC 5322 message per conversation-day, as e-discovery tools ingest them: a plain-text
 * and an HTML transcript, the first sender as From, the participants as To, and X-Warden-*
 * headers that tie the mail back to its place in the archive chain.
 */
export async function buildEml(group: ConversationDay, exportId: string): Promise<Buffer> {
  const first = group.messages[0] as ArchivedMessage
  const last = group.messages.at(-1) as ArchivedMessage
  const people = new Map<string, string>()
  for (const doc of group.messages) {
    const id = doc.fromUser ?? 'unknown'
    if (!people.has(id)) people.set(id, doc.sender?.name ?? id)
  }
  const addresses = [...people].map(([id, name]) => ({ name, address: mailbox(id) }))
  const subject = `WeCom ${group.conversation} on ${group.day} (${group.messages.length} messages)`
  const composer = new MailComposer({
    from: addresses[0],
    to: addresses,
    subject,
    date: timeOf(first),
    messageId: `<${group.day}.${hexOf(group.conversation)}.${exportId}@wecom-warden.invalid>`,
    text: group.messages.map(textLine).join('\n'),
    html: htmlTranscript(subject, group.messages),
    headers: {
      'X-Warden-Conversation': group.conversation,
      'X-Warden-Day': group.day,
      'X-Warden-Seq-Range': `${first.seq}-${last.seq}`,
      'X-Warden-Seqs': group.messages.map((doc) => doc.seq).join(','),
      'X-Warden-Export': exportId,
    },
  })
  return composer.compile().build()
}

function mailbox(userId: string): string {
  const local = userId.replace(/[^A-Za-z0-9._-]/g, '_') || 'unknown'
  return `${local}@wecom.invalid`
}

function timeOf(doc: ArchivedMessage): Date {
  return doc.createTime ?? doc.receivedAt
}

function speaker(doc: ArchivedMessage): string {
  const name = doc.sender?.name
  return name ? `${name} (${doc.fromUser})` : (doc.fromUser ?? 'unknown')
}

function body(doc: ArchivedMessage): string {
  if (doc.content !== null) return doc.content
  return `[${doc.msgType ?? doc.event ?? doc.kind}]`
}

function textLine(doc: ArchivedMessage): string {
  const relation = doc.relation ? ` [${doc.relation} of ${String(doc.relatesTo)}]` : ''
  return `[${timeOf(doc).toISOString()}] #${doc.seq} ${speaker(doc)}${relation}: ${body(doc)}`
}

function htmlTranscript(title: string, messages: ArchivedMessage[]): string {
  const rows = messages
    .map(
      (doc) =>
        `<tr><td>${escapeHtml(timeOf(doc).toISOString())}</td><td>${doc.seq}</td>` +
        `<td>${escapeHtml(speaker(doc))}</td><td>${escapeHtml(body(doc))}</td></tr>`,
    )
    .join('\n')
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `</head><body><h1>${escapeHtml(title)}</h1><table>\n` +
    `<tr><th>time</th><th>seq</th><th>sender</th><th>message</th></tr>\n${rows}\n` +
    '</table></body></html>'
  )
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll('\n', '<br>')
}

function hexOf(text: string): string {
  return Buffer.from(text).toString('hex')
}
