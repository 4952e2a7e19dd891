import { ERRORS, type ErrorCode } from './catalogue.js'

export interface WardenErrorOptions {
  /** Extra context for logs; never sent to a client. Must not hold secrets. */
  details?: Record<string, unknown>
  cause?: unknown
  /** Replaces the catalogue message, for start-up errors that must name the variable. */
  message?: string
}

/** A failure with a stable code from the catalogue. */
export class WardenError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details: Record<string, unknown>

  constructor(code: ErrorCode, options: WardenErrorOptions = {}) {
    super(options.message ?? ERRORS[code].message, { cause: options.cause })
    this.name = 'WardenError'
    this.code = code
    this.statusCode = ERRORS[code].status
    this.details = options.details ?? {}
  }
}

export function isWardenError(err: unknown, code?: ErrorCode): err is WardenError {
  return err instanceof WardenError && (code === undefined || err.code === code)
}
