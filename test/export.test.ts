import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import canonicalize from 'canonicalize'
import { simpleParser } from 'mailparser'
import t from 'tap'
import { linkHash } from '../src/archive/chain/canonical-record.js'
import { chainCollections, MESSAGE_CHAIN } from '../src/archive/chain/chain-spec.js'
import { writeCheckpoint } from '../src/archive/chain/checkpoint.js'
import { readSigningKey } from '../src/archive/chain/signing-key.js'
import { exportArchive } from '../src/export/export-archive.js'
import { verifyExport } from '../src/export/verify-export.js'
import type { SearchFilters } from '../src/search/search-filters.js'
import { type ArchiveFixture, ed25519Keys, openTestArchive, runWarden } from './helpers/archive.js'
import { addViolation, archiveLine, auditEntries } from './helpers/search-fixtures.js'

const base = Date.parse('2026-03-10T02:00:00Z')
const at = (minutes: number) => new Date(base + minutes * 60_000)

async function outDir() {
  return join(await mkdtemp(join(tmpdir(), 'warden-export-')), 'out')
}

function exportTo(fixture: ArchiveFixture, filters: SearchFilters, dir: string) {
  const deps = { connection: fixture.connection, timeZone: 'Asia/Shanghai', audit: fixture.audit }
  return exportArchive({ ...deps, actor: 'exporter' }, filters, dir)
}

/** Two chats over two days, user_a's lines interleaved with others. */
async function archiveConversations(fixture: ArchiveFixture) {
  const stored = []
  const lines = [
    { user: 'user_a', content: '昨天的转账记录', chatId: 'chat-1' },
    { user: 'user_b', content: 'a, "quoted"\nsecond line', chatId: 'chat-1' },
    { user: 'user_a', content: '=SUM(A1)', chatId: 'chat-2' },
    { user: 'user_c', content: '别人的话', chatId: 'chat-2' },
  ]
  for (let day = 0; day < 2; day++) {
    for (const [i, line] of lines.entries()) {
      stored.push(await archiveLine(fixture, { ...line, at: at(day * 1440 + i) }))
    }
  }
  return stored
}

t.test('the manifest holds the SHA-256 and size of every exported file', async (t) => {
  const fixture = await openTestArchive(t, 'export_helper_manifest')
  await archiveConversations(fixture)
  const dir = await outDir()
  const result = await exportTo(fixture, {}, dir)

  const names = [
    ...(await readdir(dir)).filter((name) => name !== 'eml' && name !== 'manifest.json'),
    ...(await readdir(join(dir, 'eml'))).map((name) => `eml/${name}`),
  ].sort()
  t.same(Object.keys(result.manifest.files).sort(), names, 'every file is listed')
  for (const [name, digest] of Object.entries(result.manifest.files)) {
    const bytes = await readFile(join(dir, name))
    t.equal(createHash('sha256').update(bytes).digest('hex'), digest.sha256, `${name} hash`)
    t.equal(bytes.length, digest.bytes, `${name} size`)
  }
  t.equal(result.manifest.counts.messages, 8)
  t.equal(result.manifest.counts.emlFiles, 4, 'one EML per conversation-day')
  const manifestBytes = await readFile(join(dir, 'manifest.json'))
  t.equal(createHash('sha256').update(manifestBytes).digest('hex'), result.manifestSha256)
})

t.test('every JSON Lines record re-hashes to its content hash and link', async (t) => {
  const fixture = await openTestArchive(t, 'export_helper_jsonl')
  await archiveConversations(fixture)
  const dir = await outDir()
  const result = await exportTo(fixture, { users: ['user_a'] }, dir)

  const lines = (await readFile(join(dir, 'messages.jsonl'), 'utf8')).trim().split('\n')
  t.equal(lines.length, 4, 'only user_a')
  const excluded = new Set(result.manifest.chain.contentHash.excludes)
  for (const line of lines) {
    const record = JSON.parse(line)
    const content = Object.fromEntries(Object.entries(record).filter(([k]) => !excluded.has(k)))
    const hash = createHash('sha256')
      .update(canonicalize(content) as string)
      .digest('hex')
    t.equal(hash, record.contentHash, `seq ${record.seq} content hash recomputes`)
    t.equal(linkHash('messages', record.seq, record.prevHash, record.contentHash), record.hash)
    t.equal(record.fromUser, 'user_a')
  }
})

t.test('the chain segment links every place from the first to the last record', async (t) => {
  const fixture = await openTestArchive(t, 'export_helper_segment')
  await archiveConversations(fixture)
  const keys = ed25519Keys()
  const signer = readSigningKey(keys.signing)
  const { checkpoints } = chainCollections(fixture.connection, MESSAGE_CHAIN)
  await writeCheckpoint(checkpoints, 'messages', await fixture.archive.chain.readTip(), signer)

  const dir = await outDir()
  const deps = { connection: fixture.connection, timeZone: 'Asia/Shanghai', audit: fixture.audit }
  const filters = { users: ['user_a'], text: '转账' }
  const result = await exportArchive({ ...deps, actor: 'exporter', signer }, filters, dir)
  const rows = (await readFile(join(dir, 'chain-segment.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
  t.same(
    rows.map((row) => row.seq),
    [1, 2, 3, 4, 5, 6, 7, 8],
    'from the first exported record (seq 1) through seq 5 up to the checkpoint at seq 8',
  )
  for (const [i, row] of rows.entries()) {
    t.equal(linkHash('messages', row.seq, row.prevHash, row.contentHash), row.hash)
    if (i > 0) t.equal(row.prevHash, rows[i - 1].hash, `seq ${row.seq} links back`)
  }
  t.equal(result.manifest.chain.checkpoint?.seq, 8)
  t.equal(result.manifest.chain.tipHash, rows.at(-1).hash)
  const check = await verifyExport(dir, signer.publicKey)
  t.same(check.problems, [])
  t.equal(check.checkpoint, 'verified')
})

t.test('each EML parses and holds the conversation-day transcript', async (t) => {
  const fixture = await openTestArchive(t, 'export_helper_eml')
  await archiveConversations(fixture)
  const dir = await outDir()
  await exportTo(fixture, { chatId: 'chat-1' }, dir)

  const files = (await readdir(join(dir, 'eml'))).sort()
  t.equal(files.length, 2, 'chat-1 on two days')
  const mail = await simpleParser(await readFile(join(dir, 'eml', files[0] as string)))
  t.match(mail.subject, /chat:chat-1 on 2026-03-10/)
  t.match(mail.text, /Name of user_a \(user_a\): 昨天的转账记录/)
  t.match(mail.text, /"quoted"/)
  t.match(mail.html, /昨天的转账记录/)
  t.equal(mail.headers.get('x-warden-seq-range'), '1-2')
  t.equal(mail.date?.toISOString(), at(0).toISOString())
  t.match(mail.from?.text, /Name of user_a/)
})

t.test('CSV quotes commas, quotes and line breaks, and defuses formulas', async (t) => {
  const fixture = await openTestArchive(t, 'export_helper_csv')
  const first = await archiveLine(fixture, {
    user: 'user_a',
    name: 'Li, "Boss"\nWang',
    content: '你好',
    at: at(0),
    chatId: 'room,1',
  })
  await archiveLine(fixture, { user: 'user_b', name: '=HYPERLINK("x")', content: '好', at: at(1) })
  await addViolation(fixture, first.id, 'transfer', 'user_a')
  await addViolation(fixture, first.id, 'bank-card', 'user_a')
  const dir = await outDir()
  await exportTo(fixture, { from: at(0), to: at(10) }, dir)

  const csv = await readFile(join(dir, 'messages.csv'), 'utf8')
  t.ok(csv.startsWith('\uFEFFseq,id,msgId,time,day,senderId,senderName,chat,type,ruleHits,'))
  t.ok(csv.includes(',user_a,"Li, ""Boss""\nWang","room,1",text,bank-card;transfer,'))
  t.ok(csv.includes(`,user_b,"'=HYPERLINK(""x"")",,text,,`), 'a formula becomes text')
  t.ok(csv.endsWith('\r\n'), 'records end with CRLF')
  t.equal(csv.split('\r\n').length, 4, 'header, two records, nothing after the last CRLF')
})

t.test('an export is recorded in the audit log with the manifest hash', async (t) => {
  const fixture = await openTestArchive(t, 'export_helper_audit')
  await archiveConversations(fixture)
  const dir = await outDir()
  const result = await exportTo(fixture, { users: ['user_c'] }, dir)
  const [entry] = await auditEntries(fixture, 'export')
  t.equal(entry?.actor, 'exporter')
  t.same(entry?.params.users, ['user_c'])
  t.equal(entry?.outcome.messages, 2)
  t.equal(entry?.outcome.manifestSha256, result.manifestSha256)
})

t.test('verifyExport detects a tampered export file and one added to it', async (t) => {
  const fixture = await openTestArchive(t, 'export_helper_tamper')
  await archiveConversations(fixture)
  const dir = await outDir()
  await exportTo(fixture, {}, dir)
  t.equal((await verifyExport(dir, null)).ok, true, 'untouched export verifies')

  const path = join(dir, 'messages.jsonl')
  const original = await readFile(path, 'utf8')
  await writeFile(path, original.replace('昨天的转账记录', '昨天的转帐记录'))
  const tampered = await verifyExport(dir, null)
  t.equal(tampered.ok, false)
  t.match(tampered.problems.join('\n'), /messages\.jsonl was changed/)
  t.match(tampered.problems.join('\n'), /content differs from its content hash/)

  await writeFile(path, original)
  await writeFile(join(dir, 'eml', 'extra.eml'), 'From: x\r\n\r\nhi')
  t.match((await verifyExport(dir, null)).problems.join('\n'), /extra\.eml is not in the manifest/)
})

t.test('a signed manifest rewritten after a record was removed is caught', async (t) => {
  const fixture = await openTestArchive(t, 'export_signed_manifest')
  await archiveConversations(fixture)
  const keys = ed25519Keys()
  const dir = await outDir()
  const env = { MONGODB_URI: fixture.uri, ARCHIVE_SIGNING_KEY: keys.signing }
  t.equal((await runWarden(['export', '--out', dir, '--quiet'], env)).code, 0)
  t.equal((await runWarden(['export', 'verify', dir], env)).code, 0, 'intact as written')

  // Drop the last record and make the manifest agree, as someone hiding it would.
  const path = join(dir, 'messages.jsonl')
  const kept = (await readFile(path, 'utf8')).trim().split('\n').slice(0, -1)
  await writeFile(path, `${kept.join('\n')}\n`)
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))
  const bytes = await readFile(path)
  manifest.files['messages.jsonl'] = {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  }
  manifest.counts.messages = kept.length
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)

  const check = await runWarden(['export', 'verify', dir, '--json'], env)
  t.equal(check.code, 1)
  t.match(check.stdout, /manifest\.json is not signed by the given key/)
})

t.test('warden export writes an export and warden export verify checks it', async (t) => {
  const fixture = await openTestArchive(t, 'export_helper_cli')
  await archiveConversations(fixture)
  const dir = await outDir()
  const env = { MONGODB_URI: fixture.uri, ARCHIVE_TIMEZONE: 'Asia/Shanghai' }

  const run = await runWarden(['export', '--out', dir, '--user', 'user_a', '--actor', 'cli'], env)
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /exported 4 message\(s\)/)
  t.match(run.stderr, /4 messages exported/, 'progress on stderr')
  const verify = await runWarden(['export', 'verify', dir, '--json'], {})
  t.equal(verify.code, 0, verify.stdout)
  t.equal(JSON.parse(verify.stdout).messages, 4)
  const again = await runWarden(['export', '--out', dir], env)
  t.equal(again.code, 1, 'a non-empty target directory is refused')
  t.match(again.stderr, /WARDEN_EXPORT_TARGET_EXISTS/)
  const usage = await runWarden(['export'], env)
  t.equal(usage.code, 2, '--out is required')
})

t.test('warden export --out naming an existing file is refused with a typed error', async (t) => {
  const fixture = await openTestArchive(t, 'fixes_export_out_file')
  const file = join(await mkdtemp(join(tmpdir(), 'warden-export-')), 'notes.txt')
  await writeFile(file, 'not a directory')
  const env = { MONGODB_URI: fixture.uri }

  for (const out of [file, join(file, 'below')]) {
    const run = await runWarden(['export', '--out', out], env)
    t.equal(run.code, 1, `--out ${out} fails`)
    t.match(run.stderr, /WARDEN_EXPORT_TARGET_EXISTS: --out .* is a file or lies under one/)
    t.notMatch(run.stderr, /unexpected failure|\n\s+at /, 'no stack trace')
  }
  t.equal(await readFile(file, 'utf8'), 'not a directory', 'the file is untouched')
  t.same(await auditEntries(fixture, 'export'), [], 'nothing was exported or audited')
})
