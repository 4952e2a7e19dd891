import { type Collection, type Document, ObjectId } from 'mongodb'
import { WardenError } from '../../errors/warden-error.js'
import { asStored, contentHashOf, GENESIS_HASH, linkHash } from './canonical-record.js'
import type { ChainSpec } from './chain-spec.js'

const DUPLICATE_KEY = 11000
const DEFAULT_MAX_ATTEMPTS = 64
/** Tip rows kept per chain: the table stays tiny, so reading the tip stays cheap. */
const DEFAULT_KEEP_TIPS = 64

export interface ChainTip {
  seq: number
  hash: string
}

export interface AppendResult {
  id: ObjectId
  seq: number
  hash: string
  /** True when the dedupe key was already archived: nothing was written. */
  duplicate: boolean
}

export interface DedupeKey {
  field: string
  value: string
}

export interface AppenderOptions {
  maxAttempts?: number
  keepTips?: number
}

/**
 * Appends records to one hash chain. Places are claimed by the unique index on `seq`: two
 * writers (in one process or in several replicas) that compute the same next place collide
 * on the insert, and the loser re-reads the tip and tries the place after it. No read-modify-
 * write is involved, so the chain has no forks and no gaps even on servers without atomic
 * conditional updates (FerretDB 1.x).
 *
 * The newest places are also written to a small `chain_tips` collection, so that finding the
 * tip never scans the archive. A writer that stopped between its two inserts leaves that table
 * behind the chain; the next writer to collide notices and catches it up.
 */
export class ChainAppender {
  readonly #spec: ChainSpec
  readonly #records: Collection
  readonly #tips: Collection
  readonly #maxAttempts: number
  readonly #keepTips: number
  #tip: ChainTip | null = null
  #queue: Promise<unknown> = Promise.resolve()

  constructor(
    spec: ChainSpec,
    records: Collection,
    tips: Collection,
    options: AppenderOptions = {},
  ) {
    this.#spec = spec
    this.#records = records
    this.#tips = tips
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
    this.#keepTips = options.keepTips ?? DEFAULT_KEEP_TIPS
  }

  /**
   * Writes `doc` as the next record. With `dedupe`, a record already holding that key is
   * reported instead of written (the unique index on that field is what guarantees it).
   */
  append(doc: Document, dedupe?: DedupeKey): Promise<AppendResult> {
    return this.#serially(() => this.#append(doc, dedupe))
  }

  /**
   * Appends of one process go one at a time: a burst of callbacks would otherwise all compute
   * the same next place, and all but one retry — work that grows with the square of the burst.
   * Replicas still collide with each other, rarely, and resolve it through the unique index.
   */
  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work)
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  async #append(doc: Document, dedupe?: DedupeKey): Promise<AppendResult> {
    const stored = asStored({ _id: new ObjectId(), ...doc })
    const id = stored._id as ObjectId
    const contentHash = contentHashOf(stored, this.#spec.excluded)

    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const tip = this.#tip ?? (await this.readTip())
      const seq = tip.seq + 1
      const hash = linkHash(this.#spec.name, seq, tip.hash, contentHash)
      try {
        await this.#records.insertOne({ ...stored, seq, prevHash: tip.hash, contentHash, hash })
      } catch (err) {
        if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err
        const existing = await this.#afterCollision(seq, dedupe)
        if (existing) return { id: existing._id as ObjectId, seq: -1, hash: '', duplicate: true }
        continue
      }
      await this.#noteTip({ seq, hash })
      return { id, seq, hash, duplicate: false }
    }
    throw new WardenError('WARDEN_ARCHIVE_CHAIN_CONTENDED', {
      details: { chain: this.#spec.name, attempts: this.#maxAttempts },
    })
  }

  /**
   * Appends many records in order with few round trips: for bulk loads (imports, the archive
   * benchmark). Places are still claimed by the unique index, so a concurrent writer only
   * makes the rest of the batch re-link after the tip it took.
   */
  appendMany(docs: Document[], batchSize = 1000): Promise<number> {
    return this.#serially(() => this.#appendMany(docs, batchSize))
  }

  async #appendMany(docs: Document[], batchSize: number): Promise<number> {
    const pending = docs.map((doc) => {
      const stored = asStored({ _id: new ObjectId(), ...doc })
      return { stored, contentHash: contentHashOf(stored, this.#spec.excluded) }
    })
    let done = 0
    let collisions = 0
    while (done < pending.length) {
      const tip = this.#tip ?? (await this.readTip())
      const batch = pending.slice(done, done + batchSize)
      let prev = tip.hash
      const rows = batch.map((item, index) => {
        const seq = tip.seq + 1 + index
        const hash = linkHash(this.#spec.name, seq, prev, item.contentHash)
        const row = { ...item.stored, seq, prevHash: prev, contentHash: item.contentHash, hash }
        prev = hash
        return row
      })
      let inserted = rows.length
      try {
        await this.#records.insertMany(rows, { ordered: true })
      } catch (err) {
        if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err
        inserted = (err as { insertedCount?: number }).insertedCount ?? 0
        if (++collisions > this.#maxAttempts) {
          throw new WardenError('WARDEN_ARCHIVE_CHAIN_CONTENDED', {
            details: { chain: this.#spec.name, attempts: collisions },
          })
        }
      }
      done += inserted
      const last = rows[inserted - 1]
      if (last) await this.#noteTip({ seq: last.seq, hash: last.hash })
      if (inserted < rows.length) {
        this.#tip = null
        await this.#catchUp(await this.readTip())
      }
    }
    return done
  }

  /** The newest record of the chain (seq 0 and the genesis hash for an empty chain). */
  async readTip(): Promise<ChainTip> {
    const [row] = await this.#tips
      .find({ chain: this.#spec.name }, { projection: { _id: 0, seq: 1, hash: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .toArray()
    if (row) return { seq: row.seq as number, hash: row.hash as string }
    // No tip rows: a new archive, or the table was emptied. Find the tip the slow way, once.
    const [last] = await this.#records
      .find({ seq: { $type: 'number' } }, { projection: { _id: 0, seq: 1, hash: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .toArray()
    if (!last) return { seq: 0, hash: GENESIS_HASH }
    const tip = { seq: last.seq as number, hash: last.hash as string }
    await this.#noteTip(tip)
    return tip
  }

  /** Forgets the cached tip (tests simulate another replica with a second appender). */
  forgetTip(): void {
    this.#tip = null
  }

  async #afterCollision(seq: number, dedupe: DedupeKey | undefined): Promise<Document | null> {
    this.#tip = null
    const fresh = await this.readTip()
    if (fresh.seq >= seq) return null // another writer took the place: try the next one
    if (dedupe) {
      const existing = await this.#records.findOne(
        { [dedupe.field]: dedupe.value },
        { projection: { _id: 1 } },
      )
      if (existing) return existing
    }
    await this.#catchUp(fresh)
    return null
  }

  /** Walks the records past a lagging tip table, one place at a time, and records them. */
  async #catchUp(from: ChainTip): Promise<void> {
    let tip = from
    for (;;) {
      const next = await this.#records.findOne(
        { seq: tip.seq + 1 },
        { projection: { _id: 0, seq: 1, hash: 1 } },
      )
      if (!next) break
      tip = { seq: next.seq as number, hash: next.hash as string }
      await this.#noteTip(tip)
    }
    this.#tip = null
  }

  async #noteTip(tip: ChainTip): Promise<void> {
    if (!this.#tip || tip.seq > this.#tip.seq) this.#tip = tip
    try {
      await this.#tips.insertOne({
        chain: this.#spec.name,
        seq: tip.seq,
        hash: tip.hash,
        at: new Date(),
      })
    } catch (err) {
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err
    }
    // Equality on two top-level fields: cheap on every MongoDB-protocol server.
    await this.#tips.deleteMany({ chain: this.#spec.name, seq: tip.seq - this.#keepTips })
  }
}
