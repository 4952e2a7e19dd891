import { createHash } from 'node:crypto'
import { isWardenError } from '../errors/warden-error.js'
import { type InboundMessage, parseInboundMessage } from './inbound-message.js'

/**
 * A decrypted callback is authentic even when its plaintext is not XML we can read (a new
 * format, a bot's JSON): it is still archived, as `unknown`, keyed by the hash of its bytes.
 */
export function readInbound(plaintext: string): InboundMessage {
  try {
    return parseInboundMessage(plaintext)
  } catch (err) {
    if (!isWardenError(err)) throw err
    return {
      msgId: `raw-${createHash('sha256').update(plaintext).digest('hex')}`,
      hasWecomMsgId: false,
      kind: 'unknown',
      msgType: null,
      event: null,
      corpId: null,
      agentId: null,
      fromUser: null,
      createTime: null,
      content: null,
      fields: { unparsed: err.code },
    }
  }
}
