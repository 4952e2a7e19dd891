import { hostname, userInfo } from 'node:os'
import type { ChainAppender } from '../archive/chain/chain-appender.js'

export type AuditAction =
  | 'search'
  | 'export'
  | 'hold.add'
  | 'hold.remove'
  | 'dispose'
  | 'policy.change'
  | 'verify'
  | 'audit.read'
  | 'admin.command'

/** One audit record: who did what, when, with which parameters, and how it ended. */
export interface AuditEntry {
  at: Date
  actor: string
  action: AuditAction
  params: Record<string, unknown>
  outcome: Record<string, unknown>
}

/**
 * The audit log is a hash chain of its own (`audit_log`), appended exactly like the message
 * archive: entries are never updated, and `warden verify` checks both chains.
 */
export class AuditLog {
  readonly #chain: ChainAppender

  constructor(chain: ChainAppender) {
    this.#chain = chain
  }

  async record(
    entry: Omit<AuditEntry, 'at'> & { at?: Date },
  ): Promise<{ seq: number; id: string }> {
    const appended = await this.#chain.append({
      at: entry.at ?? new Date(),
      actor: entry.actor,
      action: entry.action,
      params: entry.params,
      outcome: entry.outcome,
    })
    return { seq: appended.seq, id: appended.id.toHexString() }
  }
}

/**
 * Who is running a command: `--actor`, else WARDEN_ACTOR, else the operating-system account
 * and host (`alice@archive-01`).
 */
export function resolveActor(given: unknown, env: Record<string, string | undefined>): string {
  if (typeof given === 'string' && given.trim() !== '') return given.trim()
  if (env.WARDEN_ACTOR?.trim()) return env.WARDEN_ACTOR.trim()
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // no passwd entry (some containers): keep 'unknown'
  }
  return `${user}@${hostname()}`
}
