import type { LoggerOptions } from 'pino'

/**
 * Paths that can carry a secret anywhere a log line might include them. Query strings are
 * never logged whole (see request serializer): access tokens and signatures live there.
 */
const REDACT_PATHS = [
  'config.WECOM_SECRET',
  'config.WECOM_TOKEN',
  'config.WECOM_ENCODING_AES_KEY',
  'config.SMTP_URL',
  'config.MONGODB_URI',
  'secret',
  'corpsecret',
  'access_token',
  'accessToken',
  'password',
  'pass',
  'auth.pass',
  'req.headers.authorization',
  'req.query.access_token',
  '*.secret',
  '*.corpsecret',
  '*.access_token',
  '*.password',
]

export function buildLoggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(request: { method?: string; url?: string; ip?: string; id?: string }) {
        return {
          id: request.id,
          method: request.method,
          path: (request.url ?? '').split('?')[0],
          ip: request.ip,
        }
      },
    },
  }
}
