const signed = {
  msg_signature: { type: 'string', pattern: '^[0-9a-fA-F]{40}$' },
  timestamp: { type: 'string', pattern: '^[0-9]{1,12}$' },
  nonce: { type: 'string', minLength: 1, maxLength: 128 },
} as const

const refusal = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const

export const verifyUrlSchema = {
  summary: 'WeCom URL verification: answers the decrypted echostr as plain text',
  querystring: {
    type: 'object',
    required: ['msg_signature', 'timestamp', 'nonce', 'echostr'],
    properties: { ...signed, echostr: { type: 'string', minLength: 1, maxLength: 4096 } },
  },
  response: { 200: { type: 'string' }, '4xx': refusal },
} as const

export const receiveCallbackSchema = {
  summary: 'WeCom message and event callback: archived, then acknowledged with an empty body',
  querystring: {
    type: 'object',
    required: ['msg_signature', 'timestamp', 'nonce'],
    properties: signed,
  },
  response: { 200: { type: 'string', maxLength: 0 }, '4xx': refusal, '5xx': refusal },
} as const
