/** Per-place link data for a verify walk: two 32-byte hashes per seq, in flat buffers. */
export class ChainSlots {
  #hashes = Buffer.alloc(0)
  #prevs = Buffer.alloc(0)
  #present = new Uint8Array(0)
  #max = 0

  get maxSeq(): number {
    return this.#max
  }

  has(seq: number): boolean {
    return seq < this.#present.length && this.#present[seq] === 1
  }

  set(seq: number, prevHash: string, hash: string): void {
    this.#reserve(seq)
    writeHex(this.#prevs, seq, prevHash)
    writeHex(this.#hashes, seq, hash)
    this.#present[seq] = 1
    if (seq > this.#max) this.#max = seq
  }

  hash(seq: number): string {
    return this.#hashes.toString('hex', seq * 32, seq * 32 + 32)
  }

  prev(seq: number): string {
    return this.#prevs.toString('hex', seq * 32, seq * 32 + 32)
  }

  /** True when the record at `seq` names the record before it as its predecessor. */
  linksBack(seq: number): boolean {
    const at = seq * 32
    return this.#prevs.compare(this.#hashes, at - 32, at, at, at + 32) === 0
  }

  #reserve(seq: number): void {
    if (seq < this.#present.length) return
    const capacity = Math.max(1024, this.#present.length * 2, seq + 1)
    const hashes = Buffer.alloc(capacity * 32)
    const prevs = Buffer.alloc(capacity * 32)
    const present = new Uint8Array(capacity)
    this.#hashes.copy(hashes)
    this.#prevs.copy(prevs)
    present.set(this.#present)
    this.#hashes = hashes
    this.#prevs = prevs
    this.#present = present
  }
}

function writeHex(buffer: Buffer, seq: number, hex: string): void {
  // A malformed stored hash is written as zeros; it then fails every comparison.
  if (/^[0-9a-f]{64}$/.test(hex)) buffer.write(hex, seq * 32, 32, 'hex')
  else buffer.fill(0, seq * 32, seq * 32 + 32)
}
