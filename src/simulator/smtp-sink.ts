import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface CapturedMail {
  envelopeFrom: string
  envelopeTo: string[]
  parsed: ParsedMail
  raw: string
}

export interface SmtpSink {
  /** smtp://user:pass@127.0.0.1:PORT, ready for SMTP_URL. */
  url: string
  port: number
  mails(): CapturedMail[]
  /** Resolves once `count` mails have arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<CapturedMail[]>
  /** Answer the next `n` messages with a temporary failure (451), as a busy relay does. */
  deferNext(n: number): void
  /** Keep every message's DATA unanswered until release(), like a stuck relay. */
  hold(): void
  release(): void
  close(): Promise<void>
}

export interface SmtpSinkOptions {
  user?: string
  password?: string
  /** Recipients the server refuses with 550, like an unknown mailbox. */
  rejectRecipients?: string[]
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives, for tests and the demo. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const user = options.user ?? 'warden'
  const password = options.password ?? 'sink-password'
  const rejected = new Set((options.rejectRecipients ?? []).map((r) => r.toLowerCase()))
  const captured: CapturedMail[] = []
  const waiters: Array<() => void> = []
  let defer = 0
  let gate: Promise<void> | null = null
  let openGate: (() => void) | null = null

  const server = new SMTPServer({
    // The bundled certificate has expired: the sink speaks plain SMTP on loopback only.
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user })
      return callback(new Error('Invalid username or password'))
    },
    onRcptTo(address, _session, callback) {
      if (rejected.has(address.address.toLowerCase())) {
        const err = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 })
        return callback(err)
      }
      return callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', async () => {
        if (gate) await gate
        if (defer > 0) {
          defer -= 1
          const err = Object.assign(new Error('try again later'), { responseCode: 451 })
          return callback(err)
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        captured.push({
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          parsed: await simpleParser(raw),
          raw,
        })
        for (const wake of waiters.splice(0)) wake()
        callback()
      })
    },
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.server.address()
  const port = typeof address === 'object' && address ? address.port : 0

  return {
    url: `smtp://${user}:${password}@127.0.0.1:${port}`,
    port,
    mails: () => [...captured],
    deferNext(n) {
      defer = n
    },
    hold() {
      gate ??= new Promise<void>((resolve) => {
        openGate = resolve
      })
    },
    release() {
      openGate?.()
      gate = null
      openGate = null
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (captured.length < count) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`expected ${count} mails, got ${captured.length}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200))
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return [...captured]
    },
    close: () => {
      openGate?.()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
