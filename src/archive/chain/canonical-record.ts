import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { BSON } from 'mongodb'

/** The hash every chain starts from: the `prevHash` of record 1. */
export const GENESIS_HASH = '0'.repeat(64)

const LINK_DOMAIN = 'wecom-warden/chain/v1'

/**
 * A document exactly as the database will hand it back: BSON in and out drops `undefined`,
 * turns class instances into plain values and fixes the types, so that hashing it now and
 * hashing what `find()` returns later give the same answer.
 */
export function asStored<T extends object>(doc: T): T {
  return BSON.deserialize(BSON.serialize(doc, { ignoreUndefined: true })) as T
}

/**
 * Canonical bytes of a stored document: relaxed Extended JSON (dates, ids and binaries as
 * tagged values) serialised by RFC 8785 (sorted keys, fixed number and string forms). This is
 * the reference form, built with the libraries; `canonicalJson` below produces the same text
 * several times faster and is what hashing uses (a test holds the two equal).
 */
export function referenceCanonicalJson(doc: object): string {
  const plain = BSON.EJSON.serialize(doc, { relaxed: true })
  const text = canonicalize(plain)
  if (text === undefined) throw new TypeError('document has no canonical form')
  return text
}

const LAST_RELAXED_DATE_MS = 253402318800000

/**
 * The same text as `referenceCanonicalJson`, written in one walk without the intermediate
 * Extended JSON tree: `warden verify` hashes every archived record, so this is its hot path.
 * Values it has no fast rule for (binaries, longs, non-finite numbers, -0) go through the
 * reference path, so the output never differs.
 */
export function canonicalJson(doc: object): string {
  return write(doc)
}

function write(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
        ? JSON.stringify(value)
        : reference(value)
    case 'object':
      break
    default:
      return reference(value)
  }
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      const item = value[i]
      out += item === undefined || typeof item === 'function' ? 'null' : write(item)
    }
    return `${out}]`
  }
  if (value instanceof Date) return writeDate(value)
  const tagged = (value as { _bsontype?: string })._bsontype
  if (tagged === 'ObjectId')
    return `{"$oid":"${(value as { toHexString(): string }).toHexString()}"}`
  if (tagged !== undefined) return reference(value)
  return writeObject(value as Record<string, unknown>, null)
}

function writeObject(record: Record<string, unknown>, exclude: ReadonlySet<string> | null) {
  const keys = Object.keys(record).sort()
  let out = '{'
  let first = true
  for (const key of keys) {
    if (exclude?.has(key)) continue
    const item = record[key]
    if (typeof item === 'function') continue
    if (!first) out += ','
    first = false
    // Extended JSON writes an undefined member as null (stored documents have none).
    out += `${JSON.stringify(key)}:${item === undefined ? 'null' : write(item)}`
  }
  return `${out}}`
}

function writeDate(date: Date): string {
  const ms = date.getTime()
  if (!(ms >= 0 && ms < LAST_RELAXED_DATE_MS)) return reference(date)
  const iso = date.toISOString()
  const text = date.getUTCMilliseconds() === 0 ? `${iso.slice(0, -5)}Z` : iso
  return `{"$date":"${text}"}`
}

function reference(value: unknown): string {
  // Through a wrapper object: EJSON serialises documents, not bare values.
  const text = referenceCanonicalJson({ v: value })
  return text.slice('{"v":'.length, -1)
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The hash of what a record says, without the fields listed in `exclude`. */
export function contentHashOf(doc: Record<string, unknown>, exclude: ReadonlySet<string>): string {
  return sha256Hex(writeObject(doc, exclude))
}

/** One link: the record's place, its predecessor's hash and its content hash, bound together. */
export function linkHash(
  chain: string,
  seq: number,
  prevHash: string,
  contentHash: string,
): string {
  return sha256Hex(`${LINK_DOMAIN}\n${chain}\n${seq}\n${prevHash}\n${contentHash}`)
}
