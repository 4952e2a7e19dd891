import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { LogSampler } from '../logging/log-sampler.js'
import { ERRORS, type ErrorCode } from './catalogue.js'
import { isWardenError, WardenError } from './warden-error.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The catalogue code a schema-validation failure on this route maps to. */
    validationCode?: ErrorCode
  }
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'WARDEN_CALLBACK_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'WARDEN_CALLBACK_UNSUPPORTED_MEDIA',
}

/**
 * The one error handler: every failure leaves as `{ code, message }` from the catalogue.
 * Client errors are logged at info (sampled, scanners are common); server errors at error,
 * with the cause, while the client only ever sees the catalogue's fixed message.
 */
export function installErrorHandler(app: FastifyInstance): void {
  const sampler = new LogSampler()

  app.setErrorHandler((error: FastifyError | WardenError, request, reply) => {
    const warden = toWardenError(error, request)
    if (warden.statusCode >= 500) {
      request.log.error({ err: error, code: warden.code }, 'request failed')
    } else {
      const suppressed = sampler.admit(warden.code)
      if (suppressed !== null) {
        request.log.info(
          { code: warden.code, suppressed, details: warden.details },
          'request refused',
        )
      }
    }
    return sendError(reply, warden)
  })

  app.setNotFoundHandler((request, reply) => {
    const suppressed = sampler.admit('WARDEN_NOT_FOUND')
    if (suppressed !== null) request.log.info({ suppressed }, 'route not found')
    return sendError(reply, new WardenError('WARDEN_NOT_FOUND'))
  })
}

/** Fastify's own early failures (a URL it cannot decode, …) leave in the same shape. */
export function handleFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const code = (error.statusCode ?? 400) < 500 ? 'WARDEN_REQUEST_INVALID' : 'WARDEN_INTERNAL'
  sendError(reply, new WardenError(code, { cause: error }))
}

function sendError(reply: FastifyReply, error: WardenError): FastifyReply {
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send({ code: error.code, message: ERRORS[error.code].message })
}

function toWardenError(error: FastifyError | WardenError, request: FastifyRequest): WardenError {
  if (isWardenError(error)) return error
  if ((error as FastifyError).validation) {
    const code = request.routeOptions.config.validationCode ?? 'WARDEN_REQUEST_INVALID'
    return new WardenError(code, {
      details: { validation: (error as FastifyError).message },
      cause: error,
    })
  }
  const mapped = FASTIFY_CODES[(error as FastifyError).code]
  if (mapped) return new WardenError(mapped, { cause: error })
  const status = (error as FastifyError).statusCode ?? 500
  if (status >= 400 && status < 500) {
    return new WardenError('WARDEN_REQUEST_INVALID', { cause: error })
  }
  return new WardenError('WARDEN_INTERNAL', { cause: error })
}
