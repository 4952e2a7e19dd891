import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'

export interface FileDigest {
  sha256: string
  bytes: number
}

/** Writes a file as a stream, hashing and counting the bytes on the way. */
export class HashingWriter {
  readonly #stream: WriteStream
  readonly #hash = createHash('sha256')
  #bytes = 0

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: 'wx' })
  }

  async write(chunk: string | Buffer): Promise<void> {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    this.#hash.update(data)
    this.#bytes += data.length
    if (!this.#stream.write(data)) await once(this.#stream, 'drain')
  }

  async close(): Promise<FileDigest> {
    this.#stream.end()
    await once(this.#stream, 'finish')
    return { sha256: this.#hash.digest('hex'), bytes: this.#bytes }
  }
}
