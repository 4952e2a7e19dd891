import { type Connection, type Model, Schema, type Types } from 'mongoose'

export type PolicyChangeOutcome = 'applied' | 'refused' | 'unchanged'

/** One attempt to change the active policy: who, when, what changed, and whether it took. */
export interface PolicyChange {
  _id: Types.ObjectId
  at: Date
  actor: string
  outcome: PolicyChangeOutcome
  file: string
  fromVersion: string
  toVersion: string | null
  /** Unified diff of the policy file, old → new. */
  diff: string
  /** Why a change was refused: the validation message or the examples that disagree. */
  reason: string | null
  host: string
}

const policyChangeSchema = new Schema<PolicyChange>(
  {
    at: { type: Date, required: true, index: true },
    actor: { type: String, required: true },
    outcome: { type: String, required: true },
    file: { type: String, required: true },
    fromVersion: { type: String, required: true },
    toVersion: { type: String, default: null },
    diff: { type: String, default: '' },
    reason: { type: String, default: null },
    host: { type: String, required: true },
  },
  { collection: 'policy_changes', versionKey: false, strict: 'throw' },
)

export function policyChangeModel(connection: Connection): Model<PolicyChange> {
  return (
    (connection.models.PolicyChange as Model<PolicyChange> | undefined) ??
    connection.model<PolicyChange>('PolicyChange', policyChangeSchema)
  )
}
