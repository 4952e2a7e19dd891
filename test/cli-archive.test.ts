import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { readVerifyKey } from '../src/archive/chain/signing-key.js'
import { isWardenError } from '../src/errors/warden-error.js'
import { ed25519Keys, runWarden } from './helpers/archive.js'

t.test('a MONGODB_URI that is not a MongoDB connection string is a usage error', async (t) => {
  const cases = ['notauri', 'postgres://u:secret@127.0.0.1/x', 'mongodb://u:se:cret@127.0.0.1/x']
  for (const uri of cases) {
    const run = await runWarden(['verify', '--quiet'], { MONGODB_URI: uri })
    t.equal(run.code, 2, `${uri.split(':')[0]} is refused as a usage error`)
    t.match(run.stderr, /MONGODB_URI/)
    t.notMatch(run.stderr, /secret|se:cret/, 'the value (and its password) is not repeated')
  }
})

t.test('ARCHIVE_VERIFY_KEY holding a private key is refused without echoing it', async (t) => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const der = privateKey.export({ format: 'der', type: 'pkcs8' })
  const seed = der.subarray(-32)
  const publicRaw = generateKeyPairSync('ed25519')
    .publicKey.export({ format: 'der', type: 'spki' })
    .subarray(-32)
  const ownPublic = privateKey.export({ format: 'jwk' }).x as string
  const privates = {
    'PKCS#8 PEM': ed25519Keys().signing,
    'PEM with escaped newlines': ed25519Keys().signing.replaceAll('\n', '\\n'),
    'PKCS#8 DER in base64': der.toString('base64'),
    'seed and public key in base64': Buffer.concat([
      seed,
      Buffer.from(ownPublic, 'base64url'),
    ]).toString('base64'),
  }
  for (const [form, value] of Object.entries(privates)) {
    const refusal = refusalOf(() => readVerifyKey(value))
    t.ok(isWardenError(refusal, 'WARDEN_ARCHIVE_SIGNING_KEY_INVALID'), `${form} is refused`)
    t.match(refusal?.message, /ARCHIVE_VERIFY_KEY holds a private key/)
  }
  t.equal(readVerifyKey(ed25519Keys().verify).type, 'public', 'a public PEM is accepted')
  t.equal(readVerifyKey(publicRaw.toString('base64')).type, 'public', 'raw public is accepted')
  const notOwn = Buffer.concat([seed, publicRaw]).toString('base64')
  t.throws(() => readVerifyKey(notOwn), /must be an Ed25519 public key/, '64 other bytes')

  const pem = ed25519Keys().signing
  const run = await runWarden(['export', 'verify', '/nonexistent'], { ARCHIVE_VERIFY_KEY: pem })
  t.equal(run.code, 1)
  t.match(run.stderr, /WARDEN_ARCHIVE_SIGNING_KEY_INVALID: ARCHIVE_VERIFY_KEY holds a private key/)
  const body = pem.split('\n')[1] as string
  t.notOk(run.stderr.includes(body.slice(0, 16)), 'no part of the key is echoed')
})

function refusalOf(read: () => unknown): Error | undefined {
  try {
    read()
  } catch (err) {
    return err as Error
  }
  return undefined
}
