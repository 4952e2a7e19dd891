import { createServer, type Server, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { isWardenError, type WardenError } from '../src/errors/warden-error.js'
import {
  type SimulatorOptions,
  startWecomSimulator,
  type WecomSimulator,
} from '../src/simulator/wecom-simulator.js'
import { truncateUtf8, WecomClient } from '../src/wecom/api-client.js'
import { readFilename } from '../src/wecom/media-response.js'
import { clearTokenCache } from '../src/wecom/token-cache.js'
import type { WecomClientOptions } from '../src/wecom/types.js'

const CORP_ID = 'ww0000000000000000'
const AGENT_ID = '1000002'
const SECRET = 'Sim-Secret-9fK2xQ7hLmZr4TbVw3NpY8cD'
const SEND = '/cgi-bin/message/send'
const GETTOKEN = '/cgi-bin/gettoken'

interface Rig {
  sim: WecomSimulator
  client: WecomClient
  clock: { ms: number }
  logs: string[]
  makeClient(overrides?: Partial<WecomClientOptions>): WecomClient
}

async function startRig(
  t: Test,
  simOptions: Partial<SimulatorOptions> = {},
  clientOptions: Partial<WecomClientOptions> = {},
): Promise<Rig> {
  clearTokenCache()
  const clock = { ms: Date.UTC(2026, 11, 4, 9, 0, 0) }
  const sim = await startWecomSimulator({
    apps: [{ corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET }],
    users: ['user_a', 'user_b'],
    nowMs: () => clock.ms,
    ...simOptions,
  })
  t.teardown(() => sim.close())

  const logs: string[] = []
  const record = (obj: Record<string, unknown>, msg: string) => {
    logs.push(JSON.stringify({ ...obj, msg }))
  }
  const logger = { info: record, warn: record, error: record, debug: record }
  const makeClient = (overrides: Partial<WecomClientOptions> = {}) =>
    new WecomClient({
      baseUrl: sim.url,
      credentials: { corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET },
      logger,
      nowMs: () => clock.ms,
      retryDelaysMs: [5, 5],
      ...clientOptions,
      ...overrides,
    })
  return { sim, client: makeClient(), clock, logs, makeClient }
}

async function catchWarden(promise: Promise<unknown>): Promise<WardenError> {
  try {
    await promise
  } catch (err) {
    if (isWardenError(err)) return err
    throw err
  }
  throw new Error('expected a WardenError')
}

function errcodesOf(sim: WecomSimulator, path: string): number[] {
  return sim.calls(path).map((call) => call.errcode)
}

t.test('sends a text that the member receives', async (t) => {
  const { sim, client } = await startRig(t)

  const result = await client.sendText({
    toUser: ['user_a'],
    content: 'please archive 赌博 report',
  })

  t.type(result.msgId, 'string')
  t.same(result.invalidUsers, [])
  t.same(result.unlicensedUsers, [])
  t.same(
    sim.delivered('user_a').map((m) => [m.content, m.agentId, m.msgId]),
    [['please archive 赌博 report', AGENT_ID, result.msgId]],
  )
})

t.test('P18: a send answered 40014 refetches the token once and retries once', async (t) => {
  const { sim, client } = await startRig(t)
  await client.sendText({ toUser: ['user_a'], content: 'first' })
  const before = await client.getAccessToken()

  sim.revokeAllTokens()
  const result = await client.sendText({ toUser: ['user_a'], content: 'second' })

  t.type(result.msgId, 'string')
  t.same(errcodesOf(sim, SEND), [0, 40014, 0])
  t.equal(sim.calls(GETTOKEN).length, 2)
  t.not(await client.getAccessToken(), before)
  t.equal(sim.delivered('user_a').length, 2)
})

t.test('P18: a send answered 42001 refetches the token once and retries once', async (t) => {
  const { sim, client } = await startRig(t)
  await client.sendText({ toUser: ['user_a'], content: 'first' })

  sim.expireAllTokens()
  await client.sendText({ toUser: ['user_a'], content: 'second' })

  t.same(errcodesOf(sim, SEND), [0, 42001, 0])
  t.equal(sim.calls(GETTOKEN).length, 2)
})

t.test('a token rejected again after the refetch fails without a third try', async (t) => {
  const { sim, client } = await startRig(t)
  sim.failNext(SEND, { errcode: 40014, errmsg: 'invalid access_token' })
  sim.failNext(SEND, { errcode: 40014, errmsg: 'invalid access_token' })

  const err = await catchWarden(client.sendText({ toUser: ['user_a'], content: 'x' }))

  t.equal(err.code, 'WARDEN_WECOM_API')
  t.equal(err.details.errcode, 40014)
  t.same(errcodesOf(sim, SEND), [40014, 40014])
  t.equal(sim.calls(GETTOKEN).length, 2)
})

t.test('P19: concurrent sends at start, from two clients, share one gettoken', async (t) => {
  const { sim, client, makeClient } = await startRig(t)
  const other = makeClient()

  await Promise.all([
    client.sendText({ toUser: ['user_a'], content: 'one' }),
    client.sendText({ toUser: ['user_b'], content: 'two' }),
    other.sendText({ toUser: ['user_a'], content: 'three' }),
  ])

  t.equal(sim.calls(GETTOKEN).length, 1)
  t.same(errcodesOf(sim, SEND), [0, 0, 0])
})

t.test('P19: a rotated secret fetches a new token and the old secret fails', async (t) => {
  const { sim, client, makeClient } = await startRig(t)
  await client.sendText({ toUser: ['user_a'], content: 'before rotation' })
  const oldToken = await client.getAccessToken()

  const newSecret = 'Rotated-Secret-4pQw8ZkT2nVx6Hj'
  sim.rotateSecret(CORP_ID, AGENT_ID, newSecret)
  const rotated = makeClient({
    credentials: { corpId: CORP_ID, agentId: AGENT_ID, secret: newSecret },
  })
  await rotated.sendText({ toUser: ['user_a'], content: 'after rotation' })

  t.not(await rotated.getAccessToken(), oldToken)
  t.equal(sim.calls(GETTOKEN).length, 2)

  const err = await catchWarden(client.sendText({ toUser: ['user_a'], content: 'stale' }))
  t.equal(err.code, 'WARDEN_WECOM_TOKEN')
  t.equal(err.details.errcode, 40001)
  t.equal(err.details.retryable, false)
  t.notMatch(JSON.stringify(err), SECRET)
})

t.test('the token is reused until five minutes before it expires', async (t) => {
  const { sim, client, clock } = await startRig(t, { tokenTtlSeconds: 7200 })
  await client.sendText({ toUser: ['user_a'], content: 'at start' })

  clock.ms += 6899_000
  await client.sendText({ toUser: ['user_a'], content: 'just before the margin' })
  t.equal(sim.calls(GETTOKEN).length, 1)

  clock.ms += 2_000
  await client.sendText({ toUser: ['user_a'], content: 'inside the margin' })
  t.equal(sim.calls(GETTOKEN).length, 2)
})

t.test('a failed gettoken is not cached: the next send fetches again', async (t) => {
  const { sim, client } = await startRig(t)
  sim.failNext(GETTOKEN, { errcode: 40013, errmsg: 'invalid corpid' })

  const errors = await Promise.all([
    catchWarden(client.sendText({ toUser: ['user_a'], content: 'a' })),
    catchWarden(client.sendText({ toUser: ['user_b'], content: 'b' })),
  ])
  t.same(
    errors.map((e) => [e.code, e.details.errcode, e.details.retryable]),
    [
      ['WARDEN_WECOM_TOKEN', 40013, false],
      ['WARDEN_WECOM_TOKEN', 40013, false],
    ],
  )
  t.equal(sim.calls(GETTOKEN).length, 1)

  await client.sendText({ toUser: ['user_a'], content: 'c' })
  t.same(errcodesOf(sim, GETTOKEN), [40013, 0])
})

t.test('P20: invalid and unlicensed members are reported in the result', async (t) => {
  const { sim, client } = await startRig(t, {
    users: ['user_a', 'user_b', 'user_c'],
    unlicensedUsers: ['user_c'],
  })

  const result = await client.sendText({
    toUser: ['user_a', 'User_X', 'user_c'],
    content: 'partly deliverable',
  })

  t.same(result.invalidUsers, ['user_x'])
  t.same(result.unlicensedUsers, ['user_c'])
  t.same(
    sim.delivered().map((m) => m.toUser),
    ['user_a'],
  )
})

t.test('P20: the bare partial-failure reply resolves with the invalid user', async (t) => {
  const { sim, client } = await startRig(t)
  sim.failNext(SEND, { errcode: 0, errmsg: 'ok', invaliduser: 'user_x' })

  const result = await client.sendText({ toUser: ['user_x'], content: 'hello' })

  t.same(result, { msgId: null, invalidUsers: ['user_x'], unlicensedUsers: [] })
})

t.test('P20: all recipients invalid is a typed 81013 that is not retried', async (t) => {
  const { sim, client } = await startRig(t)

  const err = await catchWarden(client.sendText({ toUser: ['nobody', 'Ghost'], content: 'x' }))

  t.equal(err.code, 'WARDEN_WECOM_API')
  t.equal(err.details.errcode, 81013)
  t.equal(err.details.retryable, false)
  t.same(err.details.invalidUsers, ['nobody', 'ghost'])
  t.same(errcodesOf(sim, SEND), [81013])
})

t.test('P21: an untrusted egress IP is a non-retryable error and is sent once', async (t) => {
  const { sim, client } = await startRig(t)
  sim.failNext(SEND, { errcode: 60020, errmsg: 'not allow to access from your ip' })

  const err = await catchWarden(client.sendText({ toUser: ['user_a'], content: 'x' }))

  t.equal(err.code, 'WARDEN_WECOM_UNTRUSTED_IP')
  t.equal(err.details.retryable, false)
  t.equal(err.details.errcode, 60020)
  t.match(err.details.errmsg, /from ip: 127\.0\.0\.1/)
  t.equal(sim.calls(SEND).length, 1)
  t.equal(sim.delivered().length, 0)
})

t.test('the 31st send to one member within a minute is rate limited', async (t) => {
  const { sim, client, clock } = await startRig(t)
  for (let i = 0; i < 30; i++) {
    await client.sendText({ toUser: ['user_a'], content: `nudge ${i}` })
    clock.ms += 1_000
  }

  const err = await catchWarden(client.sendText({ toUser: ['user_a'], content: 'one too many' }))

  t.equal(err.code, 'WARDEN_WECOM_RATE_LIMITED')
  t.equal(err.details.errcode, 45009)
  t.equal(err.details.retryAfterSeconds, 60)
  t.equal(err.details.retryable, true)
  t.equal(sim.calls(SEND).length, 31)
  t.equal(sim.delivered('user_a').length, 30)

  await client.sendText({ toUser: ['user_b'], content: 'another member is not limited' })
  clock.ms += 30_000
  await client.sendText({ toUser: ['user_a'], content: 'after the window slid' })
  t.equal(sim.delivered('user_a').length, 31)
})

t.test('errcode -1 is retried and the send then succeeds', async (t) => {
  const { sim, client } = await startRig(t)
  sim.failNext(SEND, { errcode: -1, errmsg: 'system busy' })

  const result = await client.sendText({ toUser: ['user_a'], content: 'busy then fine' })

  t.type(result.msgId, 'string')
  t.same(errcodesOf(sim, SEND), [-1, 0])
  t.equal(sim.delivered('user_a').length, 1)
})

t.test('errcode -1 three times gives up after three tries, still retryable', async (t) => {
  const { sim, client } = await startRig(t)
  for (let i = 0; i < 4; i++) sim.failNext(SEND, { errcode: -1, errmsg: 'system busy' })

  const err = await catchWarden(client.sendText({ toUser: ['user_a'], content: 'x' }))

  t.equal(err.code, 'WARDEN_WECOM_API')
  t.same([err.details.errcode, err.details.retryable], [-1, true])
  t.same(errcodesOf(sim, SEND), [-1, -1, -1])
})

t.test('content over 2048 bytes is cut on a code point boundary', async (t) => {
  const { sim, client } = await startRig(t)
  // 1 + 700 × 3 bytes: 682 ideographs fit after the 'a' (2047 bytes), the 683rd would not.
  const han = `a${'你'.repeat(700)}`
  // 2 + 600 × 4 bytes: 511 emoji fit (2046 bytes), each a surrogate pair in JS.
  const emoji = `ab${'👍'.repeat(600)}`

  await client.sendText({ toUser: ['user_a'], content: han })
  await client.sendText({ toUser: ['user_b'], content: emoji })

  t.equal(sim.delivered('user_a')[0]?.content, han.slice(0, 1 + 682))
  t.equal(sim.delivered('user_b')[0]?.content, emoji.slice(0, 2 + 511 * 2))
  // The simulator cuts too, so check the client's own cut on its own as well.
  t.equal(truncateUtf8(han, 2048), han.slice(0, 1 + 682))
  t.equal(truncateUtf8(emoji, 2048), emoji.slice(0, 2 + 511 * 2))
  t.equal(truncateUtf8('é'.repeat(1024), 2048), 'é'.repeat(1024), 'exactly 2048 bytes is kept')
})

t.test('a repeated send with duplicateCheckSeconds reaches the member once', async (t) => {
  const { sim, client } = await startRig(t)
  const nudge = { toUser: ['user_a'], content: 'please delete it', duplicateCheckSeconds: 600 }

  await client.sendText(nudge)
  await client.sendText(nudge)

  t.equal(sim.calls(SEND).length, 2)
  t.equal(sim.delivered('user_a').length, 1)
})

t.test('neither the secret nor the token appears in errors or logs', async (t) => {
  const { sim, client, logs } = await startRig(t)
  const token = await client.getAccessToken()
  sim.failNext(SEND, { errcode: 48002, errmsg: `api forbidden, token ${token}, secret ${SECRET}` })

  const err = await catchWarden(client.sendText({ toUser: ['user_a'], content: 'x' }))

  t.equal(err.code, 'WARDEN_WECOM_API')
  t.same([err.details.errcode, err.details.retryable], [48002, false])
  const everything = [JSON.stringify(err), err.message, String(err.stack), ...logs].join('\n')
  t.notMatch(everything, SECRET)
  t.notMatch(everything, token)
  t.match(err.details.errmsg, /\[redacted\]/)
})

t.test('a refused connection is a retryable HTTP error', async (t) => {
  const closedPort = await findClosedPort()
  clearTokenCache()
  const client = new WecomClient({
    baseUrl: `http://127.0.0.1:${closedPort}`,
    credentials: { corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET },
  })

  const err = await catchWarden(client.sendText({ toUser: ['user_a'], content: 'x' }))

  t.equal(err.code, 'WARDEN_WECOM_HTTP')
  t.same([err.details.reason, err.details.retryable], ['network', true])
  t.notMatch(JSON.stringify(err), SECRET)
})

t.test('a server that never answers times out as a retryable HTTP error', async (t) => {
  const { server, port } = await startSilentServer(t)
  clearTokenCache()
  const client = new WecomClient({
    baseUrl: `http://127.0.0.1:${port}`,
    credentials: { corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET },
    timeoutMs: 150,
  })

  const err = await catchWarden(client.getAccessToken())

  t.equal(err.code, 'WARDEN_WECOM_HTTP')
  t.same([err.details.reason, err.details.retryable], ['timeout', true])
  t.ok(server.listening)
})

t.test('bad options are refused at construction, naming the field', async (t) => {
  t.throws(
    () =>
      new WecomClient({
        baseUrl: 'not a url',
        credentials: { corpId: CORP_ID, agentId: 'agent', secret: SECRET },
      }),
    { code: 'WARDEN_CONFIG_INVALID', message: /baseUrl.*agentId/ },
  )
})

async function findClosedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return typeof address === 'object' && address ? address.port : 1
}

async function startSilentServer(t: Test): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const address = server.address()
  return { server, port: typeof address === 'object' && address ? address.port : 0 }
}

t.test('media filenames are read from either form and lose any path', async (t) => {
  const rawUtf8 = Buffer.from('attachment; filename="合同.pdf"', 'utf8').toString('latin1')

  t.equal(readFilename('attachment; filename="a.jpg"'), 'a.jpg')
  t.equal(readFilename('attachment; filename="x.jpg"; filename*=UTF-8\'\'%E5%9B%BE.jpg'), '图.jpg')
  t.equal(readFilename(rawUtf8), '合同.pdf')
  t.equal(readFilename('attachment; filename="../../etc/passwd"'), 'passwd')
  t.equal(readFilename("attachment; filename*=UTF-8''%E0%A4%A; filename=ok.txt"), 'ok.txt')
  t.equal(readFilename('attachment; filename=""'), null)
  t.equal(readFilename(null), null)
})
