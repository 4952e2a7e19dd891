import type { KeyObject } from 'node:crypto'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import canonicalize from 'canonicalize'
import { linkHash, sha256Hex } from '../archive/chain/canonical-record.js'
import { checkpointMessage } from '../archive/chain/checkpoint.js'
import { verifySignature } from '../archive/chain/signing-key.js'
import { WardenError } from '../errors/warden-error.js'
import { MANIFEST_SIGNATURE } from './export-archive.js'
import type { ExportManifest } from './manifest.js'

export interface ExportCheck {
  ok: boolean
  messages: number
  segmentRows: number
  /** 'verified' with a key, 'unchecked' without one, 'none' when the range had no checkpoint. */
  checkpoint: 'verified' | 'unchecked' | 'none' | 'bad'
  problems: string[]
}

const MAX_PROBLEMS = 100

/**
 * Checks an export on its own, without the archive: every file against the manifest's
 * SHA-256 and size, every record against its content hash and link, the chain segment for
 * continuity, and the checkpoint's signature when a public key is given.
 */
export async function verifyExport(dir: string, publicKey: KeyObject | null): Promise<ExportCheck> {
  const manifest = await readManifest(dir)
  const problems: string[] = []
  const report = (problem: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem)
  }
  await checkFiles(dir, manifest, report)
  const segment = await checkSegment(dir, manifest, report)
  const messages = await checkRecords(dir, manifest, segment, report)
  if (messages !== manifest.counts.messages) {
    report(
      `messages.jsonl holds ${messages} records, the manifest says ${manifest.counts.messages}`,
    )
  }
  const checkpoint = checkCheckpoint(manifest, segment, publicKey, report)
  if (publicKey) await checkManifestSignature(dir, publicKey, report)
  return { ok: problems.length === 0, messages, segmentRows: segment.size, checkpoint, problems }
}

/**
 * With a key, the manifest must carry a signature by it: without one, someone who removed a
 * record could have rewritten the manifest's hashes to match.
 */
async function checkManifestSignature(
  dir: string,
  publicKey: KeyObject,
  report: (p: string) => void,
) {
  let signed: { signature?: string }
  try {
    signed = JSON.parse(await readFile(join(dir, MANIFEST_SIGNATURE), 'utf8'))
  } catch {
    report('manifest.json is not signed (manifest.sig is missing or unreadable)')
    return
  }
  const text = await readFile(join(dir, 'manifest.json'), 'utf8')
  if (!verifySignature(publicKey, text, String(signed.signature ?? ''))) {
    report('manifest.json is not signed by the given key: it was rewritten or signed by another')
  }
}

async function readManifest(dir: string): Promise<ExportManifest> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
    if (manifest.format !== 'wecom-warden/export/v1') throw new Error('unknown format')
    return manifest as ExportManifest
  } catch (cause) {
    throw new WardenError('WARDEN_EXPORT_UNREADABLE', {
      message: `${dir} has no readable wecom-warden export manifest`,
      cause,
    })
  }
}

async function checkFiles(dir: string, manifest: ExportManifest, report: (p: string) => void) {
  for (const [name, expected] of Object.entries(manifest.files)) {
    const actual = await digestFile(join(dir, name)).catch(() => null)
    if (!actual) report(`${name} is missing`)
    else if (actual.sha256 !== expected.sha256 || actual.bytes !== expected.bytes) {
      report(`${name} was changed: its SHA-256 or size differs from the manifest`)
    }
  }
  const present = [
    ...(await readdir(dir)).filter(
      (name) => name !== 'manifest.json' && name !== MANIFEST_SIGNATURE && name !== 'eml',
    ),
    ...(await readdir(join(dir, 'eml')).catch(() => [])).map((name) => `eml/${name}`),
  ]
  for (const name of present) if (!manifest.files[name]) report(`${name} is not in the manifest`)
}

async function digestFile(path: string) {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { sha256: hash.digest('hex'), bytes }
}

async function checkSegment(dir: string, manifest: ExportManifest, report: (p: string) => void) {
  const hashes = new Map<number, string>()
  const chain = manifest.chain.name
  let previous: { seq: number; hash: string } | null = null
  for await (const line of readLines(join(dir, 'chain-segment.jsonl'))) {
    const row = parseLine(line) as {
      seq: number
      prevHash: string
      contentHash: string
      hash: string
    } | null
    if (!row) {
      report('chain segment: a line is not JSON')
      continue
    }
    if (linkHash(chain, row.seq, row.prevHash, row.contentHash) !== row.hash) {
      report(`chain segment: the row at seq ${row.seq} does not match its link hash`)
    }
    if (previous && (row.seq !== previous.seq + 1 || row.prevHash !== previous.hash)) {
      report(`chain segment: seq ${row.seq} does not link to seq ${previous.seq}`)
    }
    hashes.set(row.seq, row.hash)
    previous = row
  }
  const expected = manifest.chain.segment
  const first = hashes.keys().next().value
  if (expected && (first !== expected.from || previous?.seq !== expected.to)) {
    report(`chain segment does not span seq ${expected.from}..${expected.to} as the manifest says`)
  }
  if (previous && manifest.chain.tipHash !== previous.hash) {
    report('chain segment ends at a different hash than the manifest says')
  }
  return hashes
}

async function checkRecords(
  dir: string,
  manifest: ExportManifest,
  segment: Map<number, string>,
  report: (p: string) => void,
): Promise<number> {
  const excluded = new Set(manifest.chain.contentHash.excludes)
  let count = 0
  for await (const line of readLines(join(dir, 'messages.jsonl'))) {
    count++
    const record = parseLine(line)
    if (!record) {
      report(`messages.jsonl line ${count} is not JSON`)
      continue
    }
    const seq = Number(record.seq)
    const content: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(record))
      if (!excluded.has(name)) content[name] = value
    if (!record.tombstone && sha256Hex(canonicalize(content) ?? '') !== record.contentHash) {
      report(`messages.jsonl line ${count} (seq ${seq}): content differs from its content hash`)
    }
    const link = linkHash(
      manifest.chain.name,
      seq,
      String(record.prevHash),
      String(record.contentHash),
    )
    if (link !== record.hash || segment.get(seq) !== record.hash) {
      report(`messages.jsonl line ${count} (seq ${seq}): record is not the one the chain links`)
    }
  }
  return count
}

function checkCheckpoint(
  manifest: ExportManifest,
  segment: Map<number, string>,
  publicKey: KeyObject | null,
  report: (p: string) => void,
): ExportCheck['checkpoint'] {
  const checkpoint = manifest.chain.checkpoint
  if (!checkpoint) return 'none'
  if (segment.get(checkpoint.seq) !== checkpoint.hash) {
    report(`the chain segment differs from the checkpoint at seq ${checkpoint.seq}`)
    return 'bad'
  }
  if (!publicKey) return 'unchecked'
  const message = checkpointMessage({ ...checkpoint, at: new Date(checkpoint.at) })
  if (!verifySignature(publicKey, message, checkpoint.signature)) {
    report(`the checkpoint at seq ${checkpoint.seq} is not signed by the given key`)
    return 'bad'
  }
  return 'verified'
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(line)
    return value !== null && typeof value === 'object' ? value : null
  } catch {
    return null
  }
}

async function* readLines(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8' })
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
  try {
    for await (const line of lines) if (line !== '') yield line
  } catch {
    // a missing file is reported by the file check
  }
}
