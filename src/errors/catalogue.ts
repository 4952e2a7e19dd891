/**
 * The one catalogue of wecom-warden errors. Codes are stable: outside tools and tests match on
 * them, so a code is never renamed or reused. Each entry carries the HTTP status it maps to
 * when it reaches a client, and a short fixed message that never includes secrets or input.
 */
export const ERRORS = {
  // configuration (start-up)
  WARDEN_CONFIG_INVALID: { status: 500, message: 'configuration is invalid' },
  WARDEN_POLICY_INVALID: { status: 500, message: 'policy file is invalid' },

  // callback request shape, before any crypto
  WARDEN_CALLBACK_MISSING_PARAMS: {
    status: 400,
    message: 'callback query parameters missing or malformed',
  },
  WARDEN_CALLBACK_BAD_BODY: { status: 400, message: 'callback body is not a valid envelope' },
  WARDEN_CALLBACK_UNSUPPORTED_MEDIA: { status: 415, message: 'unsupported content type' },
  WARDEN_CALLBACK_BODY_TOO_LARGE: { status: 413, message: 'callback body too large' },
  WARDEN_CALLBACK_STALE_TIMESTAMP: { status: 403, message: 'callback timestamp outside window' },

  // crypto (WXBizMsgCrypt error numbers in the comment)
  WARDEN_CRYPTO_BAD_SIGNATURE: { status: 403, message: 'signature mismatch' }, // -40001
  WARDEN_CRYPTO_BAD_AES_KEY: { status: 500, message: 'encoding AES key is invalid' }, // -40004
  WARDEN_CRYPTO_RECEIVEID_MISMATCH: { status: 403, message: 'receive id mismatch' }, // -40005
  // -40007
  WARDEN_CRYPTO_DECRYPT_FAILED: { status: 400, message: 'ciphertext could not be decrypted' },
  WARDEN_CRYPTO_BAD_PLAINTEXT: { status: 400, message: 'decrypted buffer is malformed' }, // -40008
  WARDEN_CRYPTO_BAD_BASE64: { status: 400, message: 'ciphertext is not valid base64' }, // -40010
  // -40006
  WARDEN_CRYPTO_ENCRYPT_FAILED: { status: 500, message: 'message could not be encrypted' },

  // parse
  WARDEN_PARSE_BAD_XML: { status: 400, message: 'XML is malformed' },
  WARDEN_PARSE_DTD_FORBIDDEN: { status: 400, message: 'XML with a DTD or entities is refused' },

  // archive
  WARDEN_ARCHIVE_UNAVAILABLE: { status: 503, message: 'archive is unavailable' },
  WARDEN_ARCHIVE_CHAIN_CONTENDED: { status: 503, message: 'archive chain is busy; retry' },
  WARDEN_ARCHIVE_CHAIN_BROKEN: { status: 500, message: 'archive chain does not verify' },
  WARDEN_ARCHIVE_SIGNING_KEY_INVALID: {
    status: 500,
    message: 'archive signing key is not an Ed25519 key',
  },
  WARDEN_ARCHIVE_HELD: { status: 409, message: 'record is under legal hold' },

  // WeCom API
  WARDEN_WECOM_HTTP: { status: 502, message: 'WeCom API could not be reached' },
  WARDEN_WECOM_TOKEN: { status: 502, message: 'WeCom access token could not be obtained' },
  WARDEN_WECOM_API: { status: 502, message: 'WeCom API returned an error' },
  WARDEN_WECOM_RATE_LIMITED: { status: 502, message: 'WeCom API rate limit reached' },
  WARDEN_WECOM_UNTRUSTED_IP: { status: 502, message: 'server IP is not trusted by WeCom' },
  WARDEN_WECOM_NO_RECIPIENT: { status: 502, message: 'no recipient could be reached' },

  // mail
  WARDEN_MAIL_SEND_FAILED: { status: 502, message: 'escalation email could not be sent' },
  WARDEN_MAIL_AUTH_FAILED: { status: 502, message: 'SMTP authentication failed' },

  // generic
  WARDEN_REQUEST_INVALID: { status: 400, message: 'request is invalid' },
  WARDEN_NOT_FOUND: { status: 404, message: 'not found' },
  WARDEN_RATE_LIMITED: { status: 429, message: 'too many requests' },
  WARDEN_INTERNAL: { status: 500, message: 'internal error' },

  // actions
  WARDEN_TEMPLATE_INVALID: { status: 500, message: 'message template is invalid' },

  // export
  WARDEN_EXPORT_TARGET_EXISTS: { status: 409, message: 'export directory is not empty' },
  WARDEN_EXPORT_UNREADABLE: { status: 400, message: 'export directory has no readable manifest' },
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof ERRORS
