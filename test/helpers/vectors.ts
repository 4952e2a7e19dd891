import fixture from '../fixtures/wecom-vectors.json' with { type: 'json' }

/** One sample configuration; field names as the fixture spells them. */
export interface VectorConfig {
  token: string
  encodingAESKey: string
  corpId: string
}

interface SignedFields {
  id: string
  /** Name of the configuration in `configs` that signed and encrypted the vector. */
  config: string
  msg_signature: string
  timestamp: string
  nonce: string
  note?: string
}

export interface UrlVerifyVector extends SignedFields {
  kind: 'url-verify'
  echostr: string
  expect_body: string
  /** The query string as WeCom sends it, when the sample printed it. */
  query_raw?: string
}

export interface MessageXmlVector extends SignedFields {
  kind: 'message-xml'
  encrypt: string
  expect_plaintext: string
  /** The POST body as WeCom sends it, when the sample printed it. */
  body?: string
}

export interface MessageJsonVector extends SignedFields {
  kind: 'message-json'
  encrypt: string
  expect_plaintext: string
}

export interface MustFailVector extends SignedFields {
  kind: 'signature-must-fail'
  encrypt: string
}

export interface DeterministicVector {
  id: string
  config: null
  kind: 'deterministic-encrypt'
  encodingAESKey: string
  receiveId: string
  random_ascii: string
  message: string
  expect_encrypt: string
  note?: string
}

export type SignedVector = UrlVerifyVector | MessageXmlVector | MessageJsonVector | MustFailVector
export type WecomVector = SignedVector | DeterministicVector
export type VectorKind = WecomVector['kind']
export type VectorOfKind<K extends VectorKind> = Extract<WecomVector, { kind: K }>

const SIGNED = ['msg_signature', 'timestamp', 'nonce']
const REQUIRED: Record<VectorKind, readonly string[]> = {
  'url-verify': [...SIGNED, 'echostr', 'expect_body'],
  'message-xml': [...SIGNED, 'encrypt', 'expect_plaintext'],
  'message-json': [...SIGNED, 'encrypt', 'expect_plaintext'],
  'signature-must-fail': [...SIGNED, 'encrypt'],
  'deterministic-encrypt': [
    'encodingAESKey',
    'receiveId',
    'random_ascii',
    'message',
    'expect_encrypt',
  ],
}
const OPTIONAL = ['note', 'query_raw', 'body']

const CONFIGS: ReadonlyMap<string, VectorConfig> = new Map(Object.entries(fixture.configs))
const VECTORS: readonly WecomVector[] = fixture.vectors.map((raw, index) => {
  assertVector(raw, index)
  return raw
})
const duplicateId = VECTORS.find((v, index) => VECTORS.findIndex((w) => w.id === v.id) !== index)
if (duplicateId) throw new Error(`wecom-vectors.json has vector '${duplicateId.id}' twice`)

/** The sample configuration `name` (e.g. 'QDG6eK'); throws when the fixture lacks it. */
export function vectorConfig(name: string): VectorConfig {
  const config = CONFIGS.get(name)
  if (!config) throw new Error(`wecom-vectors.json has no config '${name}'`)
  return config
}

/** The vector `id`; with `kind`, also checks that it is of that kind and narrows its type. */
export function vector(id: string): WecomVector
export function vector<K extends VectorKind>(id: string, kind: K): VectorOfKind<K>
export function vector(id: string, kind?: VectorKind): WecomVector {
  const found = VECTORS.find((v) => v.id === id)
  if (!found) throw new Error(`wecom-vectors.json has no vector '${id}'`)
  if (kind && found.kind !== kind) {
    throw new Error(`vector '${id}' is of kind '${found.kind}', not '${kind}'`)
  }
  return found
}

/** Every vector of `kind`, in file order, so that a vector added to the file is tested. */
export function vectorsOfKind<K extends VectorKind>(kind: K): VectorOfKind<K>[] {
  return VECTORS.filter((v): v is VectorOfKind<K> => v.kind === kind)
}

export function allVectors(): readonly WecomVector[] {
  return VECTORS
}

/** Every vector made with one of the sample configurations, whatever its kind. */
export function signedVectors(): SignedVector[] {
  return VECTORS.filter((v): v is SignedVector => v.kind !== 'deterministic-encrypt')
}

/** The ciphertext a signed vector's msg_signature covers: echostr for GET, Encrypt for POST. */
export function cipherTextOf(v: SignedVector): string {
  return v.kind === 'url-verify' ? v.echostr : v.encrypt
}

/** Fails at load, naming the vector and field, rather than deep inside some test. */
function assertVector(raw: object, index: number): asserts raw is WecomVector {
  const fields = raw as Record<string, unknown>
  const label = `wecom-vectors.json vector ${String(fields.id ?? `#${index}`)}`
  const kind = fields.kind as VectorKind
  const required = Object.hasOwn(REQUIRED, kind) ? REQUIRED[kind] : undefined
  if (!required) throw new Error(`${label} has unknown kind '${String(fields.kind)}'`)
  if (typeof fields.id !== 'string') throw new Error(`${label} has no string id`)

  for (const field of required) {
    if (typeof fields[field] !== 'string') throw new Error(`${label} lacks string '${field}'`)
  }
  for (const field of OPTIONAL) {
    if (field in fields && typeof fields[field] !== 'string') {
      throw new Error(`${label} has a non-string '${field}'`)
    }
  }
  const deterministic = kind === 'deterministic-encrypt'
  if (deterministic ? fields.config !== null : !CONFIGS.has(String(fields.config))) {
    throw new Error(`${label} names config '${String(fields.config)}', which the file lacks`)
  }
}
