import t from 'tap'
import { loadConfig } from '../src/config/load-config.js'
import { isWardenError } from '../src/errors/warden-error.js'

const good = {
  WECOM_CORP_ID: 'ww0000000000000000',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 'a-very-secret-value',
  WECOM_TOKEN: 'QDG6eK',
  WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/warden',
  SMTP_URL: 'smtp://user:smtp-password@127.0.0.1:2525',
  MAIL_FROM: 'warden@example.com',
}

function failure(env: Record<string, string>) {
  try {
    loadConfig(env)
  } catch (err) {
    return err
  }
  throw new Error('expected loadConfig to fail')
}

t.test('a complete environment loads with the documented defaults', async (t) => {
  const config = loadConfig(good)
  t.equal(config.WECOM_API_BASE, 'https://qyapi.weixin.qq.com')
  t.equal(config.POLICY_FILE, 'config/policy.yaml')
  t.equal(config.CALLBACK_MAX_AGE_SECONDS, 300)
  t.equal(config.PORT, 3000)
  t.equal(config.LOG_LEVEL, 'info')
})

t.test('CALLBACK_MAX_AGE_SECONDS=0 turns the replay window off', async (t) => {
  t.equal(loadConfig({ ...good, CALLBACK_MAX_AGE_SECONDS: '0' }).CALLBACK_MAX_AGE_SECONDS, 0)
})

t.test('P07 a 42-character AES key stops start-up naming the variable', async (t) => {
  const key = good.WECOM_ENCODING_AES_KEY.slice(0, 42)
  const err = failure({ ...good, WECOM_ENCODING_AES_KEY: key })
  t.ok(isWardenError(err, 'WARDEN_CONFIG_INVALID'))
  t.match((err as Error).message, /WECOM_ENCODING_AES_KEY is invalid: it must be exactly the 43/)
  t.notMatch((err as Error).message, key, 'the value is not echoed')
})

t.test('P07 an AES key with a trailing newline stops start-up', async (t) => {
  const err = failure({ ...good, WECOM_ENCODING_AES_KEY: `${good.WECOM_ENCODING_AES_KEY}\n` })
  t.match((err as Error).message, /WECOM_ENCODING_AES_KEY is invalid/)
})

t.test('a missing variable is named as required', async (t) => {
  const { SMTP_URL: _omitted, ...rest } = good
  const err = failure(rest)
  t.match((err as Error).message, /SMTP_URL is required but not set/)
})

t.test('several bad variables are all reported at once, with no secret values', async (t) => {
  const err = failure({ ...good, WECOM_AGENT_ID: 'abc', WECOM_SECRET: 'has space', PORT: 'x' })
  const message = (err as Error).message
  t.match(message, /WECOM_AGENT_ID is invalid/)
  t.match(message, /WECOM_SECRET is invalid/)
  t.match(message, /PORT is invalid/)
  t.notMatch(message, 'has space')
  t.notMatch(JSON.stringify((err as { details?: unknown }).details), 'has space')
})

t.test('a .env file is read when given', async (t) => {
  const dir = t.testdir({ '.env': 'WECOM_AGENT_ID=42\n' })
  const { WECOM_AGENT_ID: _omitted, ...rest } = good
  t.equal(loadConfig(rest, `${dir}/.env`).WECOM_AGENT_ID, '42')
})

t.test(
  'the archive settings default to a Shanghai day, hourly checkpoints and 7-year rules',
  async (t) => {
    const config = loadConfig(good)
    t.equal(config.ARCHIVE_TIMEZONE, 'Asia/Shanghai')
    t.equal(config.ARCHIVE_CHECKPOINT_MINUTES, 60)
    t.equal(config.RETENTION_FILE, 'config/retention.yaml')
    t.equal(config.ARCHIVE_SIGNING_KEY, undefined, 'signing is optional')
  },
)

t.test('an unknown ARCHIVE_TIMEZONE stops start-up naming the variable', async (t) => {
  const err = failure({ ...good, ARCHIVE_TIMEZONE: 'Mars/Olympus_Mons' })
  t.ok(isWardenError(err, 'WARDEN_CONFIG_INVALID'))
  t.match((err as Error).message, /ARCHIVE_TIMEZONE is invalid: it must be an IANA time zone/)
})

t.test('an empty ARCHIVE_SIGNING_KEY is refused without echoing anything', async (t) => {
  const err = failure({ ...good, ARCHIVE_SIGNING_KEY: '' })
  t.match((err as Error).message, /ARCHIVE_SIGNING_KEY is invalid: check its format/)
})

t.test('a service with a malformed signing key refuses to start', async (t) => {
  const { buildApp } = await import('../src/app.js')
  const secret = 'not-a-key-but-a-secret-value'
  const config = { ...loadConfig(good), ARCHIVE_SIGNING_KEY: secret }
  await t.rejects(buildApp(config, { logger: false }), {
    code: 'WARDEN_ARCHIVE_SIGNING_KEY_INVALID',
    message: /ARCHIVE_SIGNING_KEY is invalid/,
  })
})
