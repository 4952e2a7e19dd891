import mongoose, { type Connection } from 'mongoose'
import { WardenError } from '../errors/warden-error.js'

export interface DatabaseOptions {
  uri: string
  serverSelectionTimeoutMS?: number
}

/** Opens the one MongoDB connection the service shares (mongoose, agenda and health checks). */
export async function connectDatabase(options: DatabaseOptions): Promise<Connection> {
  const connection = mongoose.createConnection(options.uri, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // Callbacks are acknowledged only after this write concern is met.
    writeConcern: { w: 'majority', j: true },
    autoIndex: false,
  })
  try {
    await connection.asPromise()
    return connection
  } catch (err) {
    await connection.close().catch(() => {})
    throw new WardenError('WARDEN_ARCHIVE_UNAVAILABLE', { cause: err })
  }
}

export async function pingDatabase(connection: Connection): Promise<boolean> {
  try {
    const db = connection.db
    if (!db || connection.readyState !== 1) return false
    await db.admin().ping()
    return true
  } catch {
    return false
  }
}
