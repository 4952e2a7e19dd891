import { type Collection, type Db, type Document, MongoClient, ObjectId } from 'mongodb'
import t, { type Test } from 'tap'
import { testDatabaseUri } from './helpers/harness.js'

// scripts/ferretdb-gin.sql (applied by `scripts/ferretdb.sh start` and `gin`) gives FerretDB's
// btree indexes GIN twins in PostgreSQL. FerretDB answers `explain` with PostgreSQL's plan, so
// these tests see through the driver alone whether a lookup reads a twin.

const uri = testDatabaseUri('ferretdb_gin')
const client = await MongoClient.connect(uri)
t.teardown(() => client.close())
const info = await client.db('admin').command({ buildInfo: 1 })
const skip =
  typeof info.ferretdbVersion === 'string'
    ? false
    : 'the server is not FerretDB: GIN twins concern FerretDB 1.x on PostgreSQL only'
const onFerretDb = { skip }

/** Enough rows that PostgreSQL prefers an index to a scan for a selective value. */
const DOCS = 3000
const FIX = 'run `scripts/ferretdb.sh gin` against the PostgreSQL database FerretDB uses'

async function freshDb(t: Test, name: string): Promise<Db> {
  const db = client.db(name)
  await db.dropDatabase()
  t.teardown(() => db.dropDatabase())
  return db
}

async function fill(collection: Collection, make: (i: number) => Document): Promise<void> {
  for (let start = 0; start < DOCS; start += 500) {
    const batch = Array.from({ length: Math.min(500, DOCS - start) }, (_, i) => make(start + i))
    await collection.insertMany(batch)
  }
}

/** The indexes PostgreSQL's plan for `filter` reads, by name. */
async function planIndexes(db: Db, collection: string, filter: Document): Promise<string[]> {
  const explained = await db.command({ explain: { find: collection, filter } })
  return indexNames(explained.queryPlanner)
}

function indexNames(node: unknown): string[] {
  if (node === null || typeof node !== 'object') return []
  if (Array.isArray(node)) return node.flatMap(indexNames)
  const record = node as Record<string, unknown>
  const own = record['Index Name']
  return [...(typeof own === 'string' ? [own] : []), ...Object.values(record).flatMap(indexNames)]
}

/** How ferretdb-gin.sql names the twin of `field`: <table>_<field>_<hash>_gin. */
function twinOf(field: string): RegExp {
  return new RegExp(`_${field.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_[0-9a-f]{8}_gin$`)
}

function hasTwin(names: string[], field: string): boolean {
  return names.some((name) => twinOf(field).test(name))
}

t.test('an equality on an indexed field reads through its GIN twin', onFerretDb, async (t) => {
  const db = await freshDb(t, 'ferretdb_gin_twin')
  const tickets = db.collection('tickets')
  await tickets.createIndex({ owner: 1, openedOn: -1 })
  await fill(tickets, (i) => ({ owner: `owner${i % 300}`, openedOn: `day${i % 97}`, n: i }))

  const byOwner = await planIndexes(db, 'tickets', { owner: 'owner7' })
  t.ok(hasTwin(byOwner, 'owner'), `the plan reads the owner twin (${byOwner}); ${FIX}`)
  t.notOk(
    byOwner.some((name) => name.endsWith('_idx')),
    'not the btree FerretDB made, which `@>` cannot use',
  )
  const byDay = await planIndexes(db, 'tickets', { openedOn: 'day5' })
  t.ok(hasTwin(byDay, 'openedOn'), 'the second key of a compound index has a twin too')
  t.equal((await tickets.find({ owner: 'owner7' }).toArray()).length, DOCS / 300)
})

t.test(
  'the messages collection gets a grams twin without an index of its own',
  onFerretDb,
  async (t) => {
    const db = await freshDb(t, 'ferretdb_gin_messages')
    const messages = db.collection('messages')
    await fill(messages, (i) => ({
      day: `d${i % 30}`,
      grams: [`g${i % 500}`, `h${i % 7}`, '你好'],
    }))

    t.same(
      (await messages.listIndexes().toArray()).map((index) => index.name),
      ['_id_'],
      'FerretDB holds no index on grams',
    )
    const names = await planIndexes(db, 'messages', { grams: 'g17' })
    t.ok(hasTwin(names, 'grams'), `an n-gram lookup reads the grams twin (${names}); ${FIX}`)
    t.equal((await messages.find({ grams: 'g17' }).toArray()).length, DOCS / 500)
    const other = db.collection('notes')
    await fill(other, (i) => ({ grams: [`g${i % 400}`] }))
    t.notOk(hasTwin(await planIndexes(db, 'notes', { grams: 'g17' }), 'grams'), 'only messages')
  },
)

t.test(
  'collections created after the script ran get twins from its trigger',
  onFerretDb,
  async (t) => {
    const db = await freshDb(t, 'ferretdb_gin_trigger')
    const events = db.collection('events')
    const ids = Array.from({ length: DOCS }, () => new ObjectId())
    await fill(events, (i) => ({ _id: ids[i], kind: `k${i % 200}` }))

    const byId = await planIndexes(db, 'events', { _id: ids[42] })
    t.ok(
      hasTwin(byId, '_id'),
      `the _id index FerretDB made with the collection has a twin (${byId})`,
    )
    t.notOk(hasTwin(await planIndexes(db, 'events', { kind: 'k3' }), 'kind'), 'no index, no twin')
    await events.createIndex({ kind: 1 })
    const byKind = await planIndexes(db, 'events', { kind: 'k3' })
    t.ok(hasTwin(byKind, 'kind'), 'an index made on a full collection gets its twin at once')
  },
)

t.test(
  'a dropped index takes its twin along once no index mentions the field',
  onFerretDb,
  async (t) => {
    const db = await freshDb(t, 'ferretdb_gin_drops')
    const items = db.collection('items')
    await items.createIndex({ sku: 1 })
    await items.createIndex({ sku: 1, shelf: 1 })
    await fill(items, (i) => ({ sku: `s${i % 500}`, shelf: `b${i % 40}` }))

    await items.dropIndex('sku_1')
    t.ok(
      hasTwin(await planIndexes(db, 'items', { sku: 's1' }), 'sku'),
      'sku_1_shelf_1 still has it',
    )
    await items.dropIndex('sku_1_shelf_1')
    t.same(await planIndexes(db, 'items', { sku: 's1' }), [], 'twin gone: the lookup scans')
    t.equal((await items.find({ sku: 's1' }).toArray()).length, DOCS / 500, 'and still answers')
  },
)

t.test('dropping a collection and a database still works', onFerretDb, async (t) => {
  const db = await freshDb(t, 'ferretdb_gin_dropped')
  const messages = db.collection('messages')
  await messages.createIndex({ fromUser: 1, day: -1 })
  await messages.insertMany([{ fromUser: 'a', day: 'd1', grams: ['ab'] }])

  t.equal(await messages.drop(), true, 'the collection drops with its twins')
  const left = await db.listCollections().toArray()
  t.same(
    left.map((c) => c.name),
    [],
    'nothing left in the database',
  )
  await messages.insertOne({ fromUser: 'b', day: 'd2', grams: ['bc'] })
  t.equal(await messages.countDocuments({ grams: 'bc' }), 1, 'made again, it works')
  t.equal(await db.dropDatabase(), true, 'the database drops')
  const names = (await client.db('admin').admin().listDatabases()).databases.map((d) => d.name)
  t.notOk(names.includes('ferretdb_gin_dropped'), 'and is gone from the list')
})

t.test(
  'creating the same index twice, and at once from two connections, still works',
  onFerretDb,
  async (t) => {
    const db = await freshDb(t, 'ferretdb_gin_twice')
    const second = await MongoClient.connect(uri)
    t.teardown(() => second.close())
    const orders = db.collection('orders')
    await fill(orders, (i) => ({ customer: `c${i % 250}` }))

    const made = await Promise.all([
      orders.createIndex({ customer: 1 }),
      second.db('ferretdb_gin_twice').collection('orders').createIndex({ customer: 1 }),
    ])
    t.same(made, ['customer_1', 'customer_1'], 'both calls succeed')
    t.equal(await orders.createIndex({ customer: 1 }), 'customer_1', 'and once more')
    const indexes = (await orders.listIndexes().toArray()).map((index) => index.name)
    t.same(indexes.sort(), ['_id_', 'customer_1'], 'one index, not two')
    t.ok(hasTwin(await planIndexes(db, 'orders', { customer: 'c9' }), 'customer'), 'with a twin')
    t.equal((await orders.find({ customer: 'c9' }).toArray()).length, DOCS / 250)
  },
)
