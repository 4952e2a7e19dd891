import { WardenError } from '../errors/warden-error.js'

/** message/send answers these for a stale or early-revoked token: refetch once, retry once. */
export const TOKEN_REJECTED_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001])

/** 系统繁忙: the only errcode WeCom's own docs say to retry (at most three times). */
export const SYSTEM_BUSY_ERRCODE = -1

/** Minute-level frequency blocks last 60 s (doc 90454). */
const RATE_LIMIT_BLOCK_SECONDS = 60

export interface ErrcodeContext {
  /** API path without query, e.g. '/cgi-bin/message/send'. */
  path: string
  /** Already redacted by the caller. */
  errmsg: string
  invalidUsers?: string[]
}

/** Maps a nonzero WeCom errcode to our typed error; never inspects errmsg, which WeCom rewords. */
export function toWecomError(errcode: number, context: ErrcodeContext): WardenError {
  const base = { path: context.path, errcode, errmsg: context.errmsg }

  switch (errcode) {
    case SYSTEM_BUSY_ERRCODE:
    case 45033: // concurrency cap: fine to try again a moment later
      return new WardenError('WARDEN_WECOM_API', { details: { ...base, retryable: true } })
    case 45009:
      return new WardenError('WARDEN_WECOM_RATE_LIMITED', {
        details: { ...base, retryable: true, retryAfterSeconds: RATE_LIMIT_BLOCK_SECONDS },
      })
    case 60020:
      return new WardenError('WARDEN_WECOM_UNTRUSTED_IP', {
        details: { ...base, retryable: false },
      })
    case 81013:
      return new WardenError('WARDEN_WECOM_API', {
        details: { ...base, retryable: false, invalidUsers: context.invalidUsers ?? [] },
      })
  }

  const code = context.path.endsWith('/gettoken') ? 'WARDEN_WECOM_TOKEN' : 'WARDEN_WECOM_API'
  return new WardenError(code, { details: { ...base, retryable: false } })
}

export type HttpFailureReason = 'timeout' | 'network' | 'bad-status' | 'bad-body'

/** The call may not have reached WeCom, or its answer was lost: worth another try. */
export function toHttpError(
  reason: HttpFailureReason,
  path: string,
  extra: Record<string, unknown> = {},
): WardenError {
  return new WardenError('WARDEN_WECOM_HTTP', {
    details: { path, reason, retryable: true, ...extra },
  })
}

/** Maps a rejected fetch to a retryable HTTP error without quoting the error's message. */
export function toFetchError(err: unknown, path: string): WardenError {
  const name = err instanceof Error ? err.name : ''
  if (name === 'TimeoutError' || name === 'AbortError') return toHttpError('timeout', path)

  // Only the system error code (e.g. ECONNREFUSED): messages of some fetch
  // implementations quote the URL, which carries the token or secret.
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined
  const errorCode = typeof cause?.code === 'string' ? cause.code : undefined
  return toHttpError('network', path, errorCode ? { errorCode } : {})
}

/** Replaces every occurrence of each secret so text from WeCom or fetch is safe to keep. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let safe = text
  for (const secret of secrets) {
    if (secret.length > 0) safe = safe.split(secret).join('[redacted]')
  }
  return safe
}
