import t from 'tap'
import { ChainAppender } from '../src/archive/chain/chain-appender.js'
import { chainCollections, MESSAGE_CHAIN } from '../src/archive/chain/chain-spec.js'
import { writeCheckpoint } from '../src/archive/chain/checkpoint.js'
import { readSigningKey } from '../src/archive/chain/signing-key.js'
import { isWardenError } from '../src/errors/warden-error.js'
import {
  type ArchiveFixture,
  archiveText,
  ed25519Keys,
  openMoreReplica,
  openTestArchive,
  runWarden,
} from './helpers/archive.js'

interface Problem {
  kind: string
  seq: number | null
  id: string | null
  detail: string
}

async function verify(fixture: ArchiveFixture, extraEnv: Record<string, string> = {}) {
  const run = await runWarden(['verify', '--json', '--quiet'], {
    MONGODB_URI: fixture.uri,
    ...extraEnv,
  })
  const report = JSON.parse(run.stdout) as {
    intact: boolean
    chains: { chain: string; records: number; tipSeq: number; problems: Problem[] }[]
  }
  const messages = report.chains.find((chain) => chain.chain === 'messages')
  if (!messages) throw new Error('no messages chain in the report')
  return { code: run.code, report, messages, first: messages.problems[0] }
}

async function archiveTen(fixture: ArchiveFixture) {
  const stored = []
  for (let i = 1; i <= 10; i++) {
    stored.push(
      await archiveText(fixture, `910000000000000${i}`, 'user_a', `第${i}条：昨天的转账记录`),
    )
  }
  return stored
}

function raw(fixture: ArchiveFixture) {
  return chainCollections(fixture.connection, MESSAGE_CHAIN).records
}

t.test('an untouched archive verifies and the run exits 0', async (t) => {
  const fixture = await openTestArchive(t, 'chain_intact')
  const stored = await archiveTen(fixture)
  t.same(
    stored.map((s) => s.seq),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    'records take consecutive places',
  )
  const result = await verify(fixture)
  t.equal(result.code, 0)
  t.equal(result.report.intact, true)
  t.equal(result.messages.records, 10)
  t.equal(result.messages.tipSeq, 10)
})

t.test('a re-delivered callback takes no second place in the chain', async (t) => {
  const fixture = await openTestArchive(t, 'chain_duplicate')
  const first = await archiveText(fixture, '9200000000000000001', 'user_a', '你好')
  const again = await archiveText(fixture, '9200000000000000001', 'user_a', '你好')
  t.equal(again.duplicate, true)
  t.equal(again.id.toHexString(), first.id.toHexString())
  const next = await archiveText(fixture, '9200000000000000002', 'user_a', '再见')
  t.equal(next.seq, 2)
  t.equal((await verify(fixture)).code, 0)
})

t.test('editing one byte of one archived record makes verify name that record', async (t) => {
  const fixture = await openTestArchive(t, 'chain_edit')
  const stored = await archiveTen(fixture)
  const target = stored[6]
  if (!target) throw new Error('fixture too short')
  const doc = await raw(fixture).findOne({ _id: target.id })
  const edited = String(doc?.content).replace('转账', '转帐')
  await raw(fixture).updateOne({ _id: target.id }, { $set: { content: edited } })

  const result = await verify(fixture)
  t.equal(result.code, 1, 'a break exits non-zero')
  t.equal(result.first?.kind, 'edited')
  t.equal(result.first?.seq, 7)
  t.equal(result.first?.id, target.id.toHexString())
})

t.test('rewriting a record and its own hashes is still caught by the next link', async (t) => {
  const fixture = await openTestArchive(t, 'chain_rewrite')
  const stored = await archiveTen(fixture)
  const target = stored[3]
  if (!target) throw new Error('fixture too short')
  const { contentHashOf, linkHash } = await import('../src/archive/chain/canonical-record.js')
  const doc = await raw(fixture).findOne({ _id: target.id })
  if (!doc) throw new Error('record missing')
  doc.content = '改过的内容'
  const contentHash = contentHashOf(doc, MESSAGE_CHAIN.excluded)
  const hash = linkHash('messages', doc.seq, doc.prevHash, contentHash)
  await raw(fixture).updateOne(
    { _id: target.id },
    { $set: { content: doc.content, contentHash, hash } },
  )

  const result = await verify(fixture)
  t.equal(result.code, 1)
  t.equal(result.first?.kind, 'edited')
  t.equal(result.first?.seq, 4, 'the rewritten record is named, not its successor')
  t.equal(result.first?.id, target.id.toHexString())
})

t.test('deleting one archived record makes verify name its place', async (t) => {
  const fixture = await openTestArchive(t, 'chain_delete')
  const stored = await archiveTen(fixture)
  const target = stored[4]
  if (!target) throw new Error('fixture too short')
  await raw(fixture).deleteOne({ _id: target.id })

  const result = await verify(fixture)
  t.equal(result.code, 1)
  t.equal(result.first?.kind, 'deleted')
  t.equal(result.first?.seq, 5)
  t.match(result.first?.detail, /record 5 is missing/)
})

t.test('deleting the newest record is caught as a truncated chain', async (t) => {
  const fixture = await openTestArchive(t, 'chain_truncate')
  const stored = await archiveTen(fixture)
  const last = stored.at(-1)
  if (!last) throw new Error('fixture too short')
  await raw(fixture).deleteOne({ _id: last.id })
  const result = await verify(fixture)
  t.equal(result.code, 1)
  t.equal(result.first?.kind, 'truncated')
  t.equal(result.first?.seq, 10)
})

t.test('swapping the places of two records makes verify report them reordered', async (t) => {
  const fixture = await openTestArchive(t, 'chain_reorder')
  const stored = await archiveTen(fixture)
  const [a, b] = [stored[2], stored[3]]
  if (!a || !b) throw new Error('fixture too short')
  // Through a free place, since the unique index forbids two records at one seq.
  await raw(fixture).updateOne({ _id: a.id }, { $set: { seq: 1_000_000 } })
  await raw(fixture).updateOne({ _id: b.id }, { $set: { seq: 3 } })
  await raw(fixture).updateOne({ _id: a.id }, { $set: { seq: 4 } })

  const result = await verify(fixture)
  t.equal(result.code, 1)
  t.equal(result.first?.kind, 'reordered')
  t.equal(result.first?.seq, 3)
  t.equal(result.first?.id, b.id.toHexString())
  t.match(result.first?.detail, /archived at seq 4 now sits at seq 3/)
})

t.test('a record slipped into the collection outside the chain is reported inserted', async (t) => {
  const fixture = await openTestArchive(t, 'chain_insert')
  await archiveTen(fixture)
  const forged = await raw(fixture).insertOne({ msgId: 'forged', content: '伪造的记录' })
  const result = await verify(fixture)
  t.equal(result.code, 1)
  const inserted = result.messages.problems.find((problem) => problem.kind === 'inserted')
  t.equal(inserted?.id, forged.insertedId.toHexString())
})

t.test('two replicas appending at once produce one unbroken chain', async (t) => {
  const first = await openTestArchive(t, 'chain_replicas')
  const second = await openMoreReplica(t, first.uri)
  const writes = []
  for (let i = 0; i < 60; i++) {
    const fixture = i % 2 === 0 ? first : second
    writes.push(
      archiveText(
        fixture,
        `93000000000000${String(i).padStart(5, '0')}`,
        `user${i % 7}`,
        `并发消息 ${i}`,
      ),
    )
  }
  const stored = await Promise.all(writes)
  const places = stored.map((s) => s.seq).sort((x, y) => x - y)
  t.same(
    places,
    Array.from({ length: 60 }, (_, i) => i + 1),
    'every place taken exactly once',
  )
  const result = await verify(first)
  t.equal(result.code, 0, JSON.stringify(result.first))
  t.equal(result.messages.records, 60)
})

t.test('a writer that stopped before recording its tip is caught up by the next', async (t) => {
  const fixture = await openTestArchive(t, 'chain_lagging_tip')
  await archiveTen(fixture)
  const { tips } = chainCollections(fixture.connection, MESSAGE_CHAIN)
  // As if the writer of 9 and 10 had died between its two inserts.
  await tips.deleteMany({ chain: 'messages', seq: { $gte: 9 } })
  const other = await openMoreReplica(t, fixture.uri)
  const next = await archiveText(other, '9400000000000000001', 'user_b', '之后的消息')
  t.equal(next.seq, 11)
  t.equal((await verify(fixture)).code, 0)
})

t.test('signed checkpoints verify with the public key alone', async (t) => {
  const fixture = await openTestArchive(t, 'chain_checkpoint_ok')
  await archiveTen(fixture)
  const keys = ed25519Keys()
  const signer = readSigningKey(keys.signing)
  const { checkpoints } = chainCollections(fixture.connection, MESSAGE_CHAIN)
  const written = await writeCheckpoint(
    checkpoints,
    'messages',
    await fixture.archive.chain.readTip(),
    signer,
  )
  t.equal(written?.seq, 10)
  const again = await writeCheckpoint(
    checkpoints,
    'messages',
    await fixture.archive.chain.readTip(),
    signer,
  )
  t.equal(again, null, 'one checkpoint per place')

  const run = await runWarden(['verify', '--quiet'], {
    MONGODB_URI: fixture.uri,
    ARCHIVE_VERIFY_KEY: keys.verify,
  })
  t.equal(run.code, 0, run.stdout)
  t.match(run.stdout, /1\/1 signed checkpoint\(s\) verified, last at seq 10/)
  t.match(run.stdout, /archive intact/)
})

t.test('a chain rebuilt after a signed checkpoint is caught by the checkpoint', async (t) => {
  const fixture = await openTestArchive(t, 'chain_checkpoint_rewrite')
  await archiveTen(fixture)
  const keys = ed25519Keys()
  const { checkpoints, records, tips } = chainCollections(fixture.connection, MESSAGE_CHAIN)
  await writeCheckpoint(
    checkpoints,
    'messages',
    await fixture.archive.chain.readTip(),
    readSigningKey(keys.signing),
  )
  // An insider with database access rewrites record 2 and re-links every record after it.
  const all = await records.find({}).sort({ seq: 1 }).toArray()
  await records.deleteMany({})
  await tips.deleteMany({})
  const rebuilt = new ChainAppender(MESSAGE_CHAIN, records, tips)
  const content: Record<string, unknown> = strip(all[1])
  content.content = '被篡改'
  await rebuilt.appendMany([strip(all[0]), content, ...all.slice(2).map(strip)])

  const result = await verify(fixture, { ARCHIVE_VERIFY_KEY: keys.verify })
  t.equal(result.code, 1)
  t.equal(result.first?.kind, 'checkpoint-mismatch')
  t.equal(result.first?.seq, 10)
})

t.test('a checkpoint signed by another key is reported', async (t) => {
  const fixture = await openTestArchive(t, 'chain_checkpoint_key')
  await archiveTen(fixture)
  const { checkpoints } = chainCollections(fixture.connection, MESSAGE_CHAIN)
  await writeCheckpoint(
    checkpoints,
    'messages',
    await fixture.archive.chain.readTip(),
    readSigningKey(ed25519Keys().signing),
  )
  const result = await verify(fixture, { ARCHIVE_VERIFY_KEY: ed25519Keys().verify })
  t.equal(result.code, 1)
  t.equal(result.first?.kind, 'checkpoint-signature')
})

t.test('a signing key that is not Ed25519 is refused without echoing it', async (t) => {
  const secret = 'c2VjcmV0LXZhbHVlLXRoYXQtaXMtbm90LWEta2V5'
  try {
    readSigningKey(secret)
    t.fail('should have thrown')
  } catch (err) {
    t.ok(isWardenError(err, 'WARDEN_ARCHIVE_SIGNING_KEY_INVALID'))
    t.match((err as Error).message, /ARCHIVE_SIGNING_KEY is invalid/)
    t.notMatch((err as Error).message, secret)
  }
  const seed = Buffer.alloc(32, 7).toString('base64')
  t.equal(readSigningKey(seed).keyId.length, 16, 'a raw 32-byte seed in base64 is accepted')
})

t.test('verify without MONGODB_URI is a usage error', async (t) => {
  const run = await runWarden(['verify'], {})
  t.equal(run.code, 2)
  t.match(run.stderr, /MONGODB_URI/)
})

t.test('verify against an unreachable database exits 3', async (t) => {
  const run = await runWarden(['verify', '--quiet'], {
    MONGODB_URI: 'mongodb://127.0.0.1:1/nothing?serverSelectionTimeoutMS=300',
  })
  t.equal(run.code, 3)
  t.match(run.stderr, /WARDEN_ARCHIVE_UNAVAILABLE/)
})

function strip(doc: Record<string, unknown> | undefined) {
  if (!doc) throw new Error('missing record')
  const { seq: _s, prevHash: _p, hash: _h, contentHash: _c, ...content } = doc
  return content
}

t.test('a recall is a new record linked to the original, which stays as archived', async (t) => {
  const { archiveRelation } = await import('../src/archive/record-relation.js')
  const fixture = await openTestArchive(t, 'chain_recall')
  const original = await archiveText(fixture, '9600000000000000001', 'user_a', '内幕消息：明天涨停')
  const recall = {
    channel: 'app-callback' as const,
    original: original.id,
    relation: 'recall' as const,
    fromUser: 'user_a',
    at: new Date(),
    content: null,
    raw: '<xml><MsgType>revoke</MsgType></xml>',
    eventKey: 'r1',
  }
  const first = await archiveRelation(fixture.archive, recall)
  const again = await archiveRelation(fixture.archive, recall)
  t.equal(again.duplicate, true, 'the same recall reported twice is archived once')
  t.equal(first.seq, 2)

  const rows = await fixture.archive.messages.find({}).sort({ seq: 1 }).lean()
  t.equal(rows[0]?.content, '内幕消息：明天涨停', 'the original keeps its content')
  t.equal(rows[1]?.relation, 'recall')
  t.equal(rows[1]?.relatesTo?.toHexString(), original.id.toHexString())
  t.equal((await verify(fixture)).code, 0)

  const { Types } = await import('mongoose')
  const orphan = archiveRelation(fixture.archive, { ...recall, original: new Types.ObjectId() })
  await t.rejects(orphan, { code: 'WARDEN_NOT_FOUND' }, 'a recall of nothing archived is refused')
})

t.test('the fast canonical form is byte-identical to the RFC 8785 reference', async (t) => {
  const { canonicalJson, referenceCanonicalJson } = await import(
    '../src/archive/chain/canonical-record.js'
  )
  const { BSON } = await import('mongodb')
  const fixture = await openTestArchive(t, 'chain_canonical')
  await archiveTen(fixture)
  const stored = await raw(fixture).find({}).toArray()
  for (const doc of stored) t.equal(canonicalJson(doc), referenceCanonicalJson(doc))

  let seed = 42
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  // No lone surrogates: archived text is made well-formed before it is stored.
  const pieces = ['a', 'é', '中', '😀', '\u200b', '"', '\\', '\n', '\u0001', '$x', '.y']
  const text = () =>
    Array.from(
      { length: Math.floor(random() * 6) },
      () => pieces[Math.floor(random() * pieces.length)],
    ).join('')
  const leaf = (): unknown => {
    const pick = Math.floor(random() * 12)
    if (pick === 0) return null
    if (pick === 1) return random() < 0.5
    if (pick === 2) return Math.floor(random() * 2 ** 40) - 2 ** 39
    if (pick === 3) return (random() - 0.5) * 10 ** Math.floor(random() * 30 - 10)
    if (pick === 4)
      return [0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-324][Math.floor(random() * 6)]
    if (pick === 5) return new Date(Math.floor((random() - 0.2) * 4e12))
    if (pick === 6) return new Date(Math.floor(random() * 4e9) * 1000)
    if (pick === 7) return new BSON.ObjectId()
    if (pick === 8) return undefined
    return text()
  }
  const value = (depth: number): unknown => {
    if (depth > 3 || random() < 0.5) return leaf()
    if (random() < 0.5)
      return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1))
    const out: Record<string, unknown> = {}
    for (let i = Math.floor(random() * 5); i > 0; i--) out[text() || 'k'] = value(depth + 1)
    return out
  }
  let compared = 0
  for (let i = 0; i < 3000; i++) {
    const doc = { v: value(0), w: value(0) }
    const fast = canonicalJson(doc)
    const reference = referenceCanonicalJson(doc)
    if (fast !== reference) {
      t.equal(fast, reference, `differs for ${String(reference)}`)
      break
    }
    compared++
  }
  t.equal(compared, 3000, 'every random document serialised identically')
})

t.test(
  'a burst of appends in one process takes consecutive places without contention',
  async (t) => {
    const fixture = await openTestArchive(t, 'chain_burst')
    const stored = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        archiveText(fixture, `97000000000000${String(i).padStart(5, '0')}`, 'user_a', `突发 ${i}`),
      ),
    )
    t.same(
      stored.map((s) => s.seq).sort((a, b) => a - b),
      Array.from({ length: 80 }, (_, i) => i + 1),
    )
    t.equal((await verify(fixture)).code, 0)
  },
)

t.test('with a key, records no checkpoint covers after two intervals are reported', async (t) => {
  const fixture = await openTestArchive(t, 'chain_checkpoint_missing')
  const old = new Date(Date.now() - 5 * 3_600_000)
  for (let i = 1; i <= 3; i++) {
    await archiveText(fixture, `98000000000000000${i}`, 'user_a', `旧 ${i}`, old)
  }
  // receivedAt is the archive time; make these records look five hours old.
  await raw(fixture).updateMany({}, { $set: { receivedAt: old } })
  const keys = ed25519Keys()
  const result = await runWarden(['verify', '--json', '--quiet'], {
    MONGODB_URI: fixture.uri,
    ARCHIVE_VERIFY_KEY: keys.verify,
  })
  const messages = JSON.parse(result.stdout).chains.find(
    (c: { chain: string }) => c.chain === 'messages',
  )
  const missing = messages.problems.find((p: Problem) => p.kind === 'checkpoint-missing')
  t.equal(missing?.seq, 1, 'the uncovered stretch is named from its first place')
})

t.test('verify reports a second record at one place instead of failing on the index', async (t) => {
  const fixture = await openTestArchive(t, 'chain_duplicate_seq')
  await archiveTen(fixture)
  await raw(fixture).dropIndex('chain_seq')
  const copy = await raw(fixture).findOne({ seq: 5 })
  if (!copy) throw new Error('missing record')
  const { _id: _ignored, ...rest } = copy
  await raw(fixture).insertOne({ ...rest, dedupeKey: 'copy' })
  const result = await verify(fixture)
  t.equal(result.code, 1)
  t.equal(result.first?.seq, 5)
  const atFive = result.messages.problems.filter((p) => p.seq === 5).map((p) => p.kind)
  t.ok(atFive.includes('inserted'), 'whichever is read second is named as inserted')
})
