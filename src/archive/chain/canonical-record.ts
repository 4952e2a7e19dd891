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
 * tagged values) serialised by RFC 8785 (sorted keys, fixed number and string forms).
 */
export function canonicalJson(doc: object): string {
  const plain = BSON.EJSON.serialize(doc, { relaxed: true })
  const text = canonicalize(plain)
  if (text === undefined) throw new TypeError('document has no canonical form')
  return text
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The hash of what a record says, without the fields listed in `exclude`. */
export function contentHashOf(doc: Record<string, unknown>, exclude: ReadonlySet<string>): string {
  const content: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(doc)) {
    if (!exclude.has(name)) content[name] = value
  }
  return sha256Hex(canonicalJson(content))
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
