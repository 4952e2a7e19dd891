import t from 'tap'
import { ERRORS } from '../src/errors/catalogue.js'
import { isWardenError, WardenError } from '../src/errors/warden-error.js'

t.test('every catalogue code is namespaced, has an HTTP status and a short message', async (t) => {
  for (const [code, entry] of Object.entries(ERRORS)) {
    t.match(code, /^WARDEN_[A-Z][A-Z0-9_]+$/, `${code} is namespaced`)
    t.ok(entry.status >= 400 && entry.status < 600, `${code} maps to an error status`)
    t.ok(entry.message.length > 0 && entry.message.length <= 60, `${code} message is short`)
  }
})

// The key is checked at start-up, and encryption only happens for our own replies.
const SERVER_SIDE = new Set(['WARDEN_CRYPTO_BAD_AES_KEY', 'WARDEN_CRYPTO_ENCRYPT_FAILED'])

t.test('request-time crypto and parse failures are client errors, never 5xx', async (t) => {
  const clientSide = Object.entries(ERRORS).filter(
    ([code]) =>
      (code.startsWith('WARDEN_CRYPTO_') && !SERVER_SIDE.has(code)) ||
      code.startsWith('WARDEN_PARSE_') ||
      code.startsWith('WARDEN_CALLBACK_'),
  )
  t.ok(clientSide.length >= 10)
  for (const [code, entry] of clientSide) t.ok(entry.status < 500, `${code} is a 4xx`)
})

t.test('a warden error carries its code, status and cause', async (t) => {
  const cause = new Error('underlying')
  const err = new WardenError('WARDEN_CRYPTO_BAD_SIGNATURE', {
    cause,
    details: { retryable: false },
  })
  t.equal(err.statusCode, 403)
  t.equal(err.message, 'signature mismatch')
  t.equal(err.cause, cause)
  t.ok(isWardenError(err, 'WARDEN_CRYPTO_BAD_SIGNATURE'))
  t.notOk(isWardenError(err, 'WARDEN_INTERNAL'))
  t.notOk(isWardenError(new Error('plain')))
})
