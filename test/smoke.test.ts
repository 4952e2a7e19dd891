import t from 'tap'
import { WardenError } from '../src/errors/warden-error.js'

t.test('a warden error carries its catalogue status', async (t) => {
  const err = new WardenError('WARDEN_CRYPTO_BAD_SIGNATURE')
  t.equal(err.statusCode, 403)
})
