import { WardenError } from '../errors/warden-error.js'
import type { WecomReply } from './types.js'

/** Helpers for media/get, whose one URL answers either file bytes or a JSON errcode. */

const MEDIA_GET_PATH = '/cgi-bin/media/get'
const MAX_ERROR_BODY_BYTES = 64 * 1024

/** Reads a body, refusing it once it grows past `maxBytes` (the length header may lie). */
export async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(declared, maxBytes)
  if (!response.body) return Buffer.alloc(0)

  const parts: Buffer[] = []
  let size = 0
  for await (const part of response.body) {
    size += part.byteLength
    if (size > maxBytes) throw tooLarge(size, maxBytes)
    parts.push(Buffer.from(part))
  }
  return Buffer.concat(parts, size)
}

function tooLarge(size: number, maxBytes: number): WardenError {
  return new WardenError('WARDEN_WECOM_HTTP', {
    details: { path: MEDIA_GET_PATH, reason: 'too-large', size, maxBytes, retryable: false },
  })
}

/** `filename*=UTF-8''…` wins over `filename="…"`; only the last path segment is kept. */
export function readFilename(disposition: string | null): string | null {
  if (!disposition) return null
  const extended = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(disposition)?.[1]
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i.exec(disposition)
  let name = recoverUtf8(plain?.[1] ?? plain?.[2]?.trim())
  if (extended) {
    try {
      name = decodeURIComponent(extended.trim())
    } catch {
      // A malformed escape: keep the plain form, if any.
    }
  }
  const safe = name
    ?.split(/[\\/]/)
    .pop()
    ?.replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
  return safe ? safe.slice(0, 255) : null
}

/** fetch reads header bytes as Latin-1: a raw UTF-8 name (中文.docx) arrives garbled. */
function recoverUtf8(text: string | undefined): string | undefined {
  if (text === undefined || !/[\u0080-\u00ff]/.test(text) || /[^\u0000-\u00ff]/.test(text)) {
    return text
  }
  const decoded = Buffer.from(text, 'latin1').toString('utf8')
  return decoded.includes('\uFFFD') ? text : decoded
}

export function tryParseReply(bytes: Buffer): WecomReply | null {
  // A JSON errcode body is small; a large body is not worth decoding as text.
  if (bytes.length > MAX_ERROR_BODY_BYTES || bytes[0] !== 0x7b) return null
  try {
    const value = JSON.parse(bytes.toString('utf8')) as WecomReply | null
    return typeof value?.errcode === 'number' ? value : null
  } catch {
    return null
  }
}

export function isTextType(contentType: string | null): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? ''
  return type.startsWith('text/') || type === 'application/json'
}
