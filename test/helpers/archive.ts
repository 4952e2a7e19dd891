import { generateKeyPairSync } from 'node:crypto'
import mongoose, { type Connection } from 'mongoose'
import { archiveMessage } from '../../src/archive/archive-message.js'
import { type ArchiveHandles, openArchive } from '../../src/archive/open-archive.js'
import { readInbound } from '../../src/parse/read-inbound.js'
import { dropDatabase, testDatabaseUri } from './harness.js'

export interface ArchiveFixture extends ArchiveHandles {
  uri: string
  connection: Connection
}

interface Closer {
  teardown(fn: () => unknown): void
}

/** A fresh database with the archive opened on it, closed when the test ends. */
export async function openTestArchive(t: Closer, database: string): Promise<ArchiveFixture> {
  const uri = testDatabaseUri(database)
  await dropDatabase(uri)
  return openMoreReplica(t, uri)
}

/** A second connection to the same archive: another replica of the service. */
export async function openMoreReplica(t: Closer, uri: string): Promise<ArchiveFixture> {
  const connection = await mongoose
    .createConnection(uri, { writeConcern: { w: 'majority', j: true }, autoIndex: false })
    .asPromise()
  t.teardown(() => connection.close())
  const handles = await openArchive(connection, 'Asia/Shanghai')
  await handles.archive.messages.createIndexes()
  return { ...handles, uri, connection }
}

export function textXml(msgId: string, fromUser: string, content: string, createTime: number) {
  return (
    `<xml><ToUserName><![CDATA[ww0000000000000000]]></ToUserName>` +
    `<FromUserName><![CDATA[${fromUser}]]></FromUserName><CreateTime>${createTime}</CreateTime>` +
    `<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content>` +
    `<MsgId>${msgId}</MsgId><AgentID>1000002</AgentID></xml>`
  )
}

/** Archives a text message exactly as the callback route does. */
export async function archiveText(
  fixture: ArchiveHandles,
  msgId: string,
  fromUser: string,
  content: string,
  at = new Date(),
) {
  const xml = textXml(msgId, fromUser, content, Math.floor(at.getTime() / 1000))
  return archiveMessage(fixture.archive, 'app-callback', readInbound(xml), xml, at)
}

export { type CliRun, runWarden } from './cli.js'

/** A fresh Ed25519 key pair as the env variables take them (PEM). */
export function ed25519Keys(): { signing: string; verify: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return {
    signing: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    verify: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  }
}
