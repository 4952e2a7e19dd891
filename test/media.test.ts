import { createHash, randomBytes } from 'node:crypto'
import { MongoBackend } from '@agendajs/mongo-backend'
import { Agenda } from 'agenda'
import mongoose, { type Connection, Types } from 'mongoose'
import t, { type Test } from 'tap'
import { isWardenError } from '../src/errors/warden-error.js'
import {
  fetchAndStoreMedia,
  MEDIA_ID_LIFETIME_MS,
  type MediaFetchDeps,
  openStoredMedia,
} from '../src/media/fetch-media.js'
import { defineMediaJobs, enqueueMediaFetch, JOB_FETCH_MEDIA } from '../src/media/media-jobs.js'
import { initMediaModels, type MediaModels } from '../src/media/media-model.js'
import { type MediaSource, registerMedia } from '../src/media/register-media.js'
import { startWecomSimulator, type WecomSimulator } from '../src/simulator/wecom-simulator.js'
import { WecomClient } from '../src/wecom/api-client.js'
import { clearTokenCache } from '../src/wecom/token-cache.js'
import { testDatabaseUri } from './helpers/harness.js'

const CORP_ID = 'ww0000000000000000'
const AGENT_ID = '1000002'
const SECRET = 'Sim-Secret-media-4Rk8'
const MEDIA_GET = '/cgi-bin/media/get'

interface Rig {
  sim: WecomSimulator
  client: WecomClient
  connection: Connection
  models: MediaModels
  clock: { ms: number }
  deps: MediaFetchDeps
}

let connection: Connection
let database = 0

t.before(async () => {
  connection = await mongoose.createConnection(testDatabaseUri('helperwecom_media')).asPromise()
})
t.teardown(async () => {
  await connection.dropDatabase()
  await connection.close()
})

/** Each test gets its own database on the shared connection, so leftovers cannot mislead it. */
async function startRig(t: Test): Promise<Rig> {
  clearTokenCache()
  const clock = { ms: Date.UTC(2026, 11, 4, 9, 0, 0) }
  const sim = await startWecomSimulator({
    apps: [{ corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET }],
    users: ['user_a'],
    nowMs: () => clock.ms,
  })
  t.teardown(() => sim.close())
  const client = new WecomClient({
    baseUrl: sim.url,
    credentials: { corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET },
    nowMs: () => clock.ms,
    retryDelaysMs: [5, 5],
  })
  database += 1
  const db = connection.useDb(`helperwecom_media_${database}`, { useCache: false })
  await db.dropDatabase()
  t.teardown(() => db.dropDatabase())
  const models = await initMediaModels(db)
  const deps: MediaFetchDeps = {
    connection: db,
    models,
    fetchMedia: (mediaId) => client.getMedia(mediaId),
    now: () => new Date(clock.ms),
  }
  return { sim, client, connection: db, models, clock, deps }
}

function mediaMessage(mediaId: string, overrides: Partial<MediaSource> = {}): MediaSource {
  return {
    _id: new Types.ObjectId(),
    msgType: 'image',
    createTime: null,
    receivedAt: new Date(),
    fields: { MsgType: 'image', MediaId: mediaId, PicUrl: 'https://example.invalid/p.jpg' },
    ...overrides,
  }
}

async function register(rig: Rig, message: MediaSource): Promise<Types.ObjectId> {
  if (!(await registerMedia(rig.models, message, new Date(rig.clock.ms)))) {
    throw new Error('a media message was not registered')
  }
  return message._id
}

async function readStored(connection: Connection, gridFsId: Types.ObjectId): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of openStoredMedia(connection, gridFsId)) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

function countFiles(connection: Connection): Promise<number> {
  return connection.collection('media.files').countDocuments()
}

t.test('only image, voice, video and file messages with a MediaId are registered', async (t) => {
  const rig = await startRig(t)
  const text = mediaMessage('', { msgType: 'text', fields: { Content: 'hi', MediaId: 'x' } })
  const noId = mediaMessage('', { fields: { MsgType: 'image' } })
  const file = mediaMessage('m-file', { msgType: 'file' })
  const voice = mediaMessage('m-voice', { msgType: 'voice' })

  const answers = [
    await registerMedia(rig.models, text),
    await registerMedia(rig.models, noId),
    await registerMedia(rig.models, file),
    await registerMedia(rig.models, voice),
    await registerMedia(rig.models, voice),
  ]

  t.same(answers, [false, false, true, true, true])
  const rows = await rig.models.media.find({}).sort({ mediaId: 1 }).lean()
  t.same(
    rows.map((row) => [row.mediaId, row.msgType, row.state, row.attempts]),
    [
      ['m-file', 'file', 'pending', 0],
      ['m-voice', 'voice', 'pending', 0],
    ],
  )
})

t.test('fetched media is stored in GridFS with its SHA-256 and size', async (t) => {
  const rig = await startRig(t)
  const bytes = randomBytes(700_000) // several GridFS chunks
  const mediaId = rig.sim.addMedia(bytes, { contentType: 'application/pdf', filename: '合同.pdf' })
  const messageId = await register(rig, mediaMessage(mediaId, { msgType: 'file' }))

  const outcome = await fetchAndStoreMedia(rig.deps, messageId)

  t.same([outcome.state, outcome.retry], ['stored', false])
  const row = await rig.models.media.findOne({ messageId }).lean()
  t.same(
    [row?.state, row?.attempts, row?.sha256, row?.size, row?.contentType, row?.filename],
    [
      'stored',
      1,
      createHash('sha256').update(bytes).digest('hex'),
      bytes.length,
      'application/pdf',
      '合同.pdf',
    ],
  )
  t.ok(row?.gridFsId && (await readStored(rig.connection, row.gridFsId)).equals(bytes))
  t.same(row?.fetchedAt, new Date(rig.clock.ms))
})

t.test('a fetch that fails is recorded and a later run stores the media', async (t) => {
  const rig = await startRig(t)
  const bytes = Buffer.from('voice bytes, amr in real life')
  const mediaId = rig.sim.addMedia(bytes, { contentType: 'voice/amr', filename: 'v.amr' })
  const messageId = await register(rig, mediaMessage(mediaId, { msgType: 'voice' }))
  rig.sim.failNext(MEDIA_GET, { errcode: 45033, errmsg: 'api concurrent out of limit' })

  const failed = await fetchAndStoreMedia(rig.deps, messageId)
  const afterFailure = await rig.models.media.findOne({ messageId }).lean()
  const stored = await fetchAndStoreMedia(rig.deps, messageId)

  t.same([failed.state, failed.retry, failed.error?.name], ['pending', true, 'WardenError'])
  t.same(
    [afterFailure?.attempts, afterFailure?.lastError?.code, afterFailure?.lastError?.errcode],
    [1, 'WARDEN_WECOM_API', 45033],
  )
  t.equal(stored.state, 'stored')
  const row = await rig.models.media.findOne({ messageId }).lean()
  t.same([row?.state, row?.attempts, row?.size], ['stored', 2, bytes.length])
})

t.test('two fetches of one message at once leave exactly one stored file', async (t) => {
  const rig = await startRig(t)
  const bytes = randomBytes(300_000)
  const mediaId = rig.sim.addMedia(bytes, { contentType: 'image/jpeg', filename: 'a.jpg' })
  const messageId = await register(rig, mediaMessage(mediaId))
  // Both get past their checks before either has the bytes: a real race.
  rig.sim.delay(MEDIA_GET, 200)

  const [first, second] = await Promise.all([
    fetchAndStoreMedia(rig.deps, messageId),
    fetchAndStoreMedia(rig.deps, messageId),
  ])

  t.same([first?.state, second?.state], ['stored', 'stored'])
  t.equal(rig.sim.calls(MEDIA_GET).length, 2, 'both fetched the bytes')
  t.ok(first?.gridFsId?.equals(second?.gridFsId ?? ''), 'both report the same file')
  t.equal(await countFiles(rig.connection), 1)
  // 300 000 bytes are two chunks of 255 KiB: the losing copy's chunks are gone too.
  t.equal(await rig.connection.collection('media.chunks').countDocuments(), 2)
  const row = await rig.models.media.findOne({ messageId }).lean()
  t.ok(row?.gridFsId?.equals(first?.gridFsId ?? ''))
  t.ok(row?.gridFsId && (await readStored(rig.connection, row.gridFsId)).equals(bytes))
})

t.test('running the fetch again after it stored changes nothing', async (t) => {
  const rig = await startRig(t)
  const mediaId = rig.sim.addMedia(Buffer.from('jpeg'), {
    contentType: 'image/jpeg',
    filename: null,
  })
  const messageId = await register(rig, mediaMessage(mediaId))
  const first = await fetchAndStoreMedia(rig.deps, messageId)

  const again = await fetchAndStoreMedia(rig.deps, messageId)

  t.ok(again.gridFsId?.equals(first.gridFsId ?? ''))
  t.equal(rig.sim.calls(MEDIA_GET).length, 1)
  t.equal(await countFiles(rig.connection), 1)
})

t.test('a media id older than three days is marked expired without asking WeCom', async (t) => {
  const rig = await startRig(t)
  const mediaId = rig.sim.addMedia(Buffer.from('old'), {
    contentType: 'image/png',
    filename: 'o.png',
  })
  const issued = new Date(rig.clock.ms - MEDIA_ID_LIFETIME_MS - 60_000)
  const messageId = await register(rig, mediaMessage(mediaId, { createTime: issued }))

  const outcome = await fetchAndStoreMedia(rig.deps, messageId)

  t.same([outcome.state, outcome.retry], ['expired', false])
  t.equal((await rig.models.media.findOne({ messageId }).lean())?.state, 'expired')
  t.equal(rig.sim.calls(MEDIA_GET).length, 0)
})

t.test('WeCom expiring the id mid-retry marks it expired, not failed', async (t) => {
  const rig = await startRig(t)
  const mediaId = rig.sim.addMedia(Buffer.from('late'), {
    contentType: 'image/png',
    filename: 'l.png',
  })
  const messageId = await register(
    rig,
    mediaMessage(mediaId, { createTime: new Date(rig.clock.ms) }),
  )
  rig.sim.failNext(MEDIA_GET, { errcode: 45033, errmsg: 'api concurrent out of limit' })
  await fetchAndStoreMedia(rig.deps, messageId)
  // The id dies at WeCom a moment before our own three-day clock would say so.
  rig.clock.ms += MEDIA_ID_LIFETIME_MS

  const outcome = await fetchAndStoreMedia(
    { ...rig.deps, now: () => new Date(rig.clock.ms - 1) },
    messageId,
  )

  t.same([outcome.state, outcome.retry], ['expired', false])
  t.same(
    rig.sim.calls(MEDIA_GET).map((call) => call.errcode),
    [45033, 40007],
  )
})

t.test('an unknown media id fails for good with errcode 40007 and stores nothing', async (t) => {
  const rig = await startRig(t)
  const messageId = await register(rig, mediaMessage('no-such-media-id'))

  const outcome = await fetchAndStoreMedia(rig.deps, messageId)
  const again = await fetchAndStoreMedia(rig.deps, messageId)

  t.same([outcome.state, outcome.retry, again.state], ['failed', false, 'failed'])
  const row = await rig.models.media.findOne({ messageId }).lean()
  t.same([row?.lastError?.errcode, row?.attempts], [40007, 1])
  t.equal(rig.sim.calls(MEDIA_GET).length, 1, 'a failed row is not fetched again')
  t.equal(await countFiles(rig.connection), 0)
})

t.test('a JSON error body is never stored as media bytes, whatever its type', async (t) => {
  const rig = await startRig(t)
  const mediaId = rig.sim.addMedia(Buffer.from('real'), {
    contentType: 'image/jpeg',
    filename: null,
  })
  const types = ['application/octet-stream', 'text/plain', 'image/jpeg']
  const failures = []
  for (const contentType of types) {
    rig.sim.failNext(MEDIA_GET, { errcode: 40007, errmsg: 'invalid media_id' }, contentType)
    failures.push(await rig.client.getMedia(mediaId).catch((err: unknown) => err))
  }
  const messageId = await register(rig, mediaMessage(mediaId))
  rig.sim.failNext(MEDIA_GET, { errcode: 40007, errmsg: 'invalid media_id' }, 'image/jpeg')

  const outcome = await fetchAndStoreMedia(rig.deps, messageId)

  t.same(
    failures.map((err) => isWardenError(err) && err.details.errcode),
    [40007, 40007, 40007],
  )
  t.equal(outcome.state, 'failed')
  t.equal(await countFiles(rig.connection), 0)
})

t.test('media/get answered 42001 refetches the token and returns the bytes', async (t) => {
  const rig = await startRig(t)
  const bytes = Buffer.from('after a token refresh')
  const mediaId = rig.sim.addMedia(bytes, { contentType: 'video/mp4', filename: 'clip.mp4' })
  await rig.client.getAccessToken()
  rig.sim.expireAllTokens()

  const file = await rig.client.getMedia(mediaId)

  t.ok(file.bytes.equals(bytes))
  t.same([file.contentType, file.filename], ['video/mp4', 'clip.mp4'])
  t.same(
    rig.sim.calls(MEDIA_GET).map((call) => call.errcode),
    [42001, 0],
  )
})

t.test('a body over maxMediaBytes is refused as not retryable', async (t) => {
  const rig = await startRig(t)
  const mediaId = rig.sim.addMedia(randomBytes(5000), {
    contentType: 'image/png',
    filename: 'b.png',
  })
  const small = new WecomClient({
    baseUrl: rig.sim.url,
    credentials: { corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET },
    maxMediaBytes: 4096,
  })

  const error = await small.getMedia(mediaId).catch((err: unknown) => err)

  t.ok(isWardenError(error, 'WARDEN_WECOM_HTTP'))
  t.same(isWardenError(error) && [error.details.reason, error.details.retryable], [
    'too-large',
    false,
  ])
})

t.test('the agenda job is unique per message and retries until the media is stored', async (t) => {
  const rig = await startRig(t)
  const bytes = randomBytes(20_000)
  const mediaId = rig.sim.addMedia(bytes, { contentType: 'image/gif', filename: 'x.gif' })
  const messageId = await register(rig, mediaMessage(mediaId))
  rig.sim.failNext(MEDIA_GET, { errcode: 45033, errmsg: 'api concurrent out of limit' })
  const db = rig.connection.db
  if (!db) throw new Error('no database')
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection: 'jobs' }),
    processEvery: 100,
    defaultLockLifetime: 5000,
  })
  defineMediaJobs(agenda, { ...rig.deps, retryBaseMs: 50 })

  await enqueueMediaFetch(agenda, messageId)
  await enqueueMediaFetch(agenda, messageId)
  const jobs = await db.collection('jobs').countDocuments({ name: JOB_FETCH_MEDIA })
  await agenda.start()
  t.teardown(() => agenda.stop())
  let row = await rig.models.media.findOne({ messageId }).lean()
  for (let i = 0; i < 100 && row?.state !== 'stored'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    row = await rig.models.media.findOne({ messageId }).lean()
  }

  t.equal(jobs, 1)
  t.same([row?.state, row?.attempts, row?.size], ['stored', 2, bytes.length])
  t.same(
    rig.sim.calls(MEDIA_GET).map((call) => call.errcode),
    [45033, 0],
  )
})
