import t, { type Test } from 'tap'
import { isWardenError } from '../src/errors/warden-error.js'
import { startWecomSimulator } from '../src/simulator/wecom-simulator.js'
import { WecomClient } from '../src/wecom/api-client.js'
import { clearTokenCache } from '../src/wecom/token-cache.js'
import { createUserDirectory, type UserDirectoryOptions } from '../src/wecom/user-directory.js'

const CORP_ID = 'ww0000000000000000'
const AGENT_ID = '1000002'
const SECRET = 'Sim-Secret-identity-7Qm2'
const USER_GET = '/cgi-bin/user/get'

async function startRig(t: Test, directoryOptions: Partial<UserDirectoryOptions> = {}) {
  clearTokenCache()
  const sim = await startWecomSimulator({
    apps: [{ corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET }],
    users: ['user_a'],
  })
  t.teardown(() => sim.close())
  const client = new WecomClient({
    baseUrl: sim.url,
    credentials: { corpId: CORP_ID, agentId: AGENT_ID, secret: SECRET },
    retryDelaysMs: [5, 5],
  })
  const clock = { ms: Date.UTC(2026, 11, 4, 9, 0, 0) }
  const warnings: Record<string, unknown>[] = []
  const note = (obj: Record<string, unknown>) => warnings.push(obj)
  const directory = createUserDirectory({
    wecom: client,
    nowMs: () => clock.ms,
    logger: { info: note, warn: note, error: note, debug: () => {} },
    ...directoryOptions,
  })
  return { sim, client, clock, directory, warnings }
}

t.test('a member is snapshotted with name, departments and position', async (t) => {
  const { directory, clock } = await startRig(t)

  const snapshot = await directory.snapshot('zhangsan')

  t.same(snapshot, {
    userId: 'zhangsan',
    name: '张三',
    departments: [1, 2],
    mainDepartment: 2,
    position: '产品经理',
    source: 'user/get',
    errcode: null,
    fetchedAt: new Date(clock.ms),
  })
})

t.test('user/get of a newer app carries no mobile, email or avatar', async (t) => {
  const { client } = await startRig(t)

  const reply = await client.getUser('lisi')

  t.equal(reply.name, '李四')
  t.notOk('mobile' in reply || 'email' in reply || 'avatar' in reply)
})

t.test('a member without name or department gets nulls and an empty list', async (t) => {
  const { sim, directory } = await startRig(t)
  sim.addUser({ userid: 'bare' })

  const snapshot = await directory.snapshot('bare')

  t.equal(snapshot.source, 'user/get')
  t.same(
    [snapshot.name, snapshot.departments, snapshot.mainDepartment, snapshot.position],
    [null, [], null, null],
  )
})

t.test('odd field types are read where they make sense and dropped otherwise', async (t) => {
  const { sim, directory } = await startRig(t)
  sim.addUser({
    userid: 'odd',
    extra: {
      name: '  赵\u0000六  ',
      department: ['4', 'x', 5, 1.5],
      main_department: '4',
      position: 7,
    },
  })

  const snapshot = await directory.snapshot('odd')

  t.equal(snapshot.name, '赵六')
  t.same(snapshot.departments, [4, 5])
  t.equal(snapshot.mainDepartment, 4)
  t.equal(snapshot.position, null)
})

t.test(
  'an unknown user is unavailable with errcode 60111 and is not asked again soon',
  async (t) => {
    const { sim, directory, clock, warnings } = await startRig(t, { negativeTtlMs: 60_000 })

    const first = await directory.snapshot('nobody')
    const second = await directory.snapshot('nobody')
    clock.ms += 61_000
    await directory.snapshot('nobody')

    t.same(
      [first.source, first.errcode, first.name, first.fetchedAt],
      ['unavailable', 60111, null, null],
    )
    t.same([second.source, second.errcode], ['unavailable', 60111])
    t.equal(sim.calls(USER_GET).length, 2)
    t.same(warnings[0], { userId: 'nobody', code: 'WARDEN_WECOM_API', errcode: 60111 })
  },
)

t.test('a member outside the visible scope is unavailable with errcode 60011', async (t) => {
  const { directory, client } = await startRig(t)

  const snapshot = await directory.snapshot('wangwu')
  const error = await client.getUser('wangwu').catch((err: unknown) => err)

  t.same([snapshot.source, snapshot.errcode], ['unavailable', 60011])
  t.ok(isWardenError(error, 'WARDEN_WECOM_API'))
  t.same(isWardenError(error) && [error.details.errcode, error.details.retryable], [60011, false])
})

t.test('a slow WeCom gives an unavailable snapshot before it answers', async (t) => {
  const { sim, directory } = await startRig(t, { timeoutMs: 200 })
  await directory.snapshot('user_a') // token fetched, so only user/get is slow
  sim.delay(USER_GET, 1000)

  const snapshot = await directory.snapshot('lisi')
  const answeredBefore = sim.calls(USER_GET).length

  t.same([snapshot.source, snapshot.errcode, snapshot.name], ['unavailable', null, null])
  t.equal(answeredBefore, 1, 'the snapshot resolved while user/get for lisi was unanswered')
})

t.test('the late answer of a slow WeCom still fills the cache', async (t) => {
  const { sim, directory } = await startRig(t, { timeoutMs: 100 })
  await directory.snapshot('user_a')
  sim.delay(USER_GET, 400)
  await directory.snapshot('lisi')
  sim.delay(USER_GET, 0)

  // Joins the request still in flight (no second call) until it lands in the cache.
  let later = await directory.snapshot('lisi')
  for (let i = 0; i < 50 && later.source !== 'cache'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    later = await directory.snapshot('lisi')
  }

  t.same([later.source, later.name], ['cache', '李四'])
  t.equal(sim.calls(USER_GET).length, 2)
})

t.test('many snapshots of one member make one user/get call until the ttl ends', async (t) => {
  const { sim, directory, clock } = await startRig(t, { ttlMs: 3_600_000 })

  const burst = await Promise.all(Array.from({ length: 10 }, () => directory.snapshot('zhangsan')))
  const cached = await directory.snapshot('zhangsan')
  const callsWithinTtl = sim.calls(USER_GET).length
  clock.ms += 3_600_001
  const refreshed = await directory.snapshot('zhangsan')

  t.equal(callsWithinTtl, 1)
  t.ok(burst.every((snapshot) => snapshot.name === '张三'))
  t.same([cached.source, cached.name], ['cache', '张三'])
  t.equal(refreshed.source, 'user/get')
  t.equal(sim.calls(USER_GET).length, 2)
})

t.test('no user id gives source none without asking WeCom', async (t) => {
  const { sim, directory } = await startRig(t)

  const none = await directory.snapshot(null)
  const empty = await directory.snapshot('')

  t.same([none.source, none.userId, empty.source], ['none', null, 'none'])
  t.equal(sim.calls().length, 0)
})

t.test('user/get answered 40014 refetches the token once and retries', async (t) => {
  const { sim, client } = await startRig(t)
  await client.getUser('user_a')
  sim.revokeAllTokens()

  const reply = await client.getUser('lisi')

  t.equal(reply.name, '李四')
  t.same(
    sim.calls(USER_GET).map((call) => call.errcode),
    [0, 40014, 0],
  )
})

t.test('a lookup that throws something unexpected still resolves unavailable', async (t) => {
  const directory = createUserDirectory({
    wecom: { getUser: () => Promise.reject(new TypeError('broken fake')) },
  })

  const snapshot = await directory.snapshot('user_a')

  t.same([snapshot.source, snapshot.errcode, snapshot.userId], ['unavailable', null, 'user_a'])
})

t.test('the cache keeps at most maxEntries members, dropping the oldest', async (t) => {
  const { sim, directory } = await startRig(t, { maxEntries: 2 })

  await directory.snapshot('zhangsan')
  await directory.snapshot('lisi')
  await directory.snapshot('chenjiashun')
  const again = await directory.snapshot('zhangsan')

  t.equal(again.source, 'user/get')
  t.equal(sim.calls(USER_GET).length, 4)
})
