/**
 * The environment contract. These variable names are relied on by outside tools: extend the
 * list, never rename an entry. Every entry is documented in .env.example.
 */
export const ENV_SCHEMA = {
  type: 'object',
  required: [
    'WECOM_CORP_ID',
    'WECOM_AGENT_ID',
    'WECOM_SECRET',
    'WECOM_TOKEN',
    'WECOM_ENCODING_AES_KEY',
    'MONGODB_URI',
    'SMTP_URL',
    'MAIL_FROM',
  ],
  properties: {
    WECOM_CORP_ID: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    WECOM_AGENT_ID: { type: 'string', pattern: '^[0-9]{1,20}$' },
    WECOM_SECRET: { type: 'string', minLength: 1, maxLength: 256, pattern: '^\\S+$' },
    WECOM_TOKEN: { type: 'string', pattern: '^[A-Za-z0-9]{1,32}$' },
    WECOM_ENCODING_AES_KEY: { type: 'string', pattern: '^[A-Za-z0-9]{43}$' },
    WECOM_API_BASE: {
      type: 'string',
      pattern: '^https?://[^\\s]+$',
      default: 'https://qyapi.weixin.qq.com',
    },
    MONGODB_URI: { type: 'string', pattern: '^mongodb(\\+srv)?://\\S+$' },
    SMTP_URL: { type: 'string', pattern: '^smtps?://\\S+$' },
    MAIL_FROM: { type: 'string', minLength: 3, pattern: '@' },
    POLICY_FILE: { type: 'string', minLength: 1, default: 'config/policy.yaml' },
    TEMPLATES_DIR: { type: 'string', minLength: 1, default: 'templates' },
    CALLBACK_MAX_AGE_SECONDS: { type: 'integer', minimum: 0, maximum: 86400, default: 300 },
    CALLBACK_BODY_LIMIT_BYTES: {
      type: 'integer',
      minimum: 1024,
      maximum: 10485760,
      default: 65536,
    },
    NUDGE_DUPLICATE_CHECK_SECONDS: { type: 'integer', minimum: 0, maximum: 14400, default: 14400 },
    JOBS_POLL_MS: { type: 'integer', minimum: 50, maximum: 60000, default: 1000 },
    ARCHIVE_TIMEZONE: { type: 'string', minLength: 1, default: 'Asia/Shanghai' },
    ARCHIVE_SIGNING_KEY: { type: 'string', minLength: 1 },
    ARCHIVE_VERIFY_KEY: { type: 'string', minLength: 1 },
    ARCHIVE_CHECKPOINT_MINUTES: { type: 'integer', minimum: 1, maximum: 1440, default: 60 },
    RETENTION_FILE: { type: 'string', minLength: 1, default: 'config/retention.yaml' },
    MEDIA_MAX_BYTES: { type: 'integer', minimum: 1024, maximum: 1073741824, default: 104857600 },
    HOST: { type: 'string', default: '0.0.0.0' },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    },
  },
} as const

export interface WardenConfig {
  WECOM_CORP_ID: string
  WECOM_AGENT_ID: string
  WECOM_SECRET: string
  WECOM_TOKEN: string
  WECOM_ENCODING_AES_KEY: string
  WECOM_API_BASE: string
  MONGODB_URI: string
  SMTP_URL: string
  MAIL_FROM: string
  POLICY_FILE: string
  TEMPLATES_DIR: string
  CALLBACK_MAX_AGE_SECONDS: number
  CALLBACK_BODY_LIMIT_BYTES: number
  NUDGE_DUPLICATE_CHECK_SECONDS: number
  JOBS_POLL_MS: number
  ARCHIVE_TIMEZONE: string
  /** Ed25519 private key (PKCS#8 PEM, or the 32-byte seed in base64) for signed checkpoints. */
  ARCHIVE_SIGNING_KEY?: string
  /** Ed25519 public key (SPKI PEM or 32 bytes in base64) for `warden verify` without the secret. */
  ARCHIVE_VERIFY_KEY?: string
  ARCHIVE_CHECKPOINT_MINUTES: number
  RETENTION_FILE: string
  MEDIA_MAX_BYTES: number
  HOST: string
  PORT: number
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
}

/** Variables whose values must never be echoed, even in a start-up error. */
export const SECRET_VARIABLES = new Set([
  'WECOM_SECRET',
  'WECOM_TOKEN',
  'WECOM_ENCODING_AES_KEY',
  'SMTP_URL',
  'MONGODB_URI',
  'ARCHIVE_SIGNING_KEY',
])
