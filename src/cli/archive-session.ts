import mongoose, { type Connection } from 'mongoose'
import { initModels, type WardenModels } from '../archive/models.js'
import { type ArchiveHandles, openArchive } from '../archive/open-archive.js'
import { WardenError } from '../errors/warden-error.js'
import { createUsageError } from './args.js'
import type { CliIo } from './command-table.js'

const CONNECT_TIMEOUT_MS = 5_000
const MONGODB_SCHEME = /^mongodb(\+srv)?:\/\//i

export interface ArchiveSession extends ArchiveHandles {
  connection: Connection
  models: WardenModels
  env: Record<string, string | undefined>
}

/**
 * Runs `work` against the archive named by MONGODB_URI and closes the connection however it
 * ends. A missing variable is a usage error; an unreachable database is WARDEN_ARCHIVE_UNAVAILABLE.
 * `readOnly` sessions create no index (they still append their own audit entry).
 */
export async function withArchive<T>(
  io: CliIo,
  commandPath: string,
  work: (session: ArchiveSession) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const uri = io.env.MONGODB_URI
  if (!uri) throw createUsageError('MONGODB_URI must name the archive database', commandPath)
  // The value is never repeated: it may hold a password.
  if (!MONGODB_SCHEME.test(uri)) {
    throw createUsageError('MONGODB_URI must start with mongodb:// or mongodb+srv://', commandPath)
  }
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS,
    writeConcern: { w: 'majority', j: true },
    autoIndex: false,
  })
  try {
    await connection.asPromise()
  } catch (cause) {
    await connection.close().catch(() => {})
    // The driver's parse messages name the faulty part (an option, unescaped characters).
    if ((cause as Error).name === 'MongoParseError') {
      const reason = (cause as Error).message
      throw createUsageError(`MONGODB_URI is not a valid connection string: ${reason}`, commandPath)
    }
    throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause })
  }
  try {
    // Read-only commands (verify) create no index: a tampered archive whose unique index was
    // dropped must be reported on, not refused at start.
    const readOnly = options.readOnly === true
    const zone = io.env.ARCHIVE_TIMEZONE || 'Asia/Shanghai'
    const handles = await openArchive(connection, zone, { readOnly })
    const models = await initModels(connection, { createIndexes: !readOnly })
    return await work({ ...handles, connection, models, env: io.env })
  } finally {
    await connection.close().catch(() => {})
  }
}
