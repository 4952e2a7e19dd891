import type { Connection, Model } from 'mongoose'
import { type ActionRecord, actionModel } from '../actions/action-model.js'
import { type ActionAttempt, attemptModel } from '../actions/attempt-model.js'
import {
  initMediaModels,
  type MediaModels,
  mediaModel,
  mediaResultModel,
} from '../media/media-model.js'
import { type ArchivedMessage, messageModel } from './message-model.js'
import { type Violation, violationModel } from './violation-model.js'

export interface WardenModels extends MediaModels {
  messages: Model<ArchivedMessage>
  violations: Model<Violation>
  actions: Model<ActionRecord>
  attempts: Model<ActionAttempt>
}

/** Binds the models to a connection and makes sure their unique indexes exist. */
export async function initModels(
  connection: Connection,
  options: { createIndexes?: boolean } = {},
): Promise<WardenModels> {
  const models = {
    messages: messageModel(connection),
    violations: violationModel(connection),
    actions: actionModel(connection),
    attempts: attemptModel(connection),
  }
  if (options.createIndexes === false) {
    return { ...models, media: mediaModel(connection), mediaResults: mediaResultModel(connection) }
  }
  await Promise.all(Object.values(models).map((model) => model.createIndexes()))
  return { ...models, ...(await initMediaModels(connection)) }
}
