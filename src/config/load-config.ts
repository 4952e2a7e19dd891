import { envSchema } from 'env-schema'
import { WardenError } from '../errors/warden-error.js'
import { ENV_SCHEMA, SECRET_VARIABLES, type WardenConfig } from './env-schema.js'

interface AjvLikeError {
  instancePath?: string
  message?: string
  params?: { missingProperty?: string }
}

const HINTS: Record<string, string> = {
  WECOM_ENCODING_AES_KEY:
    'it must be exactly the 43 letters and digits shown in the WeCom admin console ' +
    '(no quotes, spaces or trailing newline)',
  WECOM_TOKEN: 'it must be 1-32 letters or digits, as set in the WeCom admin console',
  WECOM_AGENT_ID: 'it must be the numeric AgentId of the self-built app',
  MONGODB_URI: 'it must start with mongodb:// or mongodb+srv://',
  SMTP_URL: 'it must look like smtp://user:pass@host:587 or smtps://host:465',
}

/**
 * Reads and validates the configuration once, at start-up. A bad variable stops the process
 * with a message naming it and the fix; secret values are never repeated in the message.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  dotenvPath?: string,
): WardenConfig {
  let config: WardenConfig
  try {
    config = envSchema<WardenConfig>({
      schema: structuredClone(ENV_SCHEMA) as object,
      data: env,
      env: false,
      dotenv: dotenvPath ? { path: dotenvPath } : false,
    })
  } catch (err) {
    throw new WardenError('WARDEN_CONFIG_INVALID', {
      message: describeConfigError(err),
      details: { variables: namesIn(err) },
    })
  }
  checkTimeZone(config.ARCHIVE_TIMEZONE)
  return config
}

/** An unknown zone would fail every archive write; refuse it before the port opens. */
function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: zone })
  } catch {
    throw new WardenError('WARDEN_CONFIG_INVALID', {
      message:
        'configuration is invalid:\n  ARCHIVE_TIMEZONE is invalid: it must be an IANA time zone ' +
        'such as Asia/Shanghai or UTC\nSee .env.example for every variable.',
      details: { variables: ['ARCHIVE_TIMEZONE'] },
    })
  }
}

function namesIn(err: unknown): string[] {
  const errors = ((err as { errors?: AjvLikeError[] }).errors ?? []) as AjvLikeError[]
  return errors.map(variableOf).filter((name): name is string => name !== undefined)
}

function variableOf(error: AjvLikeError): string | undefined {
  if (error.params?.missingProperty) return error.params.missingProperty
  const name = error.instancePath?.replace(/^\//, '')
  return name ? name : undefined
}

function describeConfigError(err: unknown): string {
  const errors = ((err as { errors?: AjvLikeError[] }).errors ?? []) as AjvLikeError[]
  if (errors.length === 0) return `configuration is invalid: ${(err as Error).message}`
  const lines = errors.map((error) => {
    const name = variableOf(error) ?? '(unknown variable)'
    if (error.params?.missingProperty) return `${name} is required but not set`
    const hint = HINTS[name] ?? (SECRET_VARIABLES.has(name) ? 'check its format' : error.message)
    return `${name} is invalid: ${hint}`
  })
  return `configuration is invalid:\n  ${lines.join('\n  ')}\nSee .env.example for every variable.`
}
