import { type Connection, type Model, Schema, type Types } from 'mongoose'

export interface ViolationMatch {
  text: string
  start: number
  end: number
  normalised: string
  verdict: string
  reason: string | null
  steps: string[]
}

/** Set when the rule's threshold was reached: this was the sender's `hits`th in `within`. */
export interface ViolationThreshold {
  hits: number
  within: string
}

/** One rule hit on one archived message; all occurrences of that rule are in `matches`. */
export interface Violation {
  _id: Types.ObjectId
  /** Unique: message and rule version, so re-evaluation never doubles a violation. */
  key: string
  messageId: Types.ObjectId
  msgId: string
  channel: string
  fromUser: string | null
  ruleId: string
  ruleVersion: number
  policyVersion: string
  description: string
  severity: string
  verdict: string
  actions: string[]
  escalateTo: string[]
  matchedText: string
  start: number
  end: number
  normalised: string
  /** Why the match counts (detectors, word-break doubts); null for a plain keyword or regex. */
  reason: string | null
  /** Normalisation steps that changed the matched text (e.g. zero-width removed, t2s). */
  steps: string[]
  context: string
  matches: ViolationMatch[]
  /** Severity and actions above are then the threshold's stronger ones. */
  threshold?: ViolationThreshold
  createdAt: Date
  /**
   * The message's archive day (ARCHIVE_TIMEZONE): a rule search walks a range by ruleId and
   * day, equalities every server can look up.
   */
  day: string | null
}

const matchSchema = new Schema<ViolationMatch>(
  {
    text: String,
    start: Number,
    end: Number,
    normalised: String,
    verdict: String,
    reason: { type: String, default: null },
    steps: { type: [String], default: [] },
  },
  { _id: false },
)

const thresholdSchema = new Schema<ViolationThreshold>(
  { hits: { type: Number, required: true }, within: { type: String, required: true } },
  { _id: false },
)

const violationSchema = new Schema<Violation>(
  {
    key: { type: String, required: true, unique: true },
    messageId: { type: Schema.Types.ObjectId, required: true, index: true },
    msgId: { type: String, required: true },
    channel: { type: String, required: true },
    fromUser: { type: String, default: null, index: true },
    ruleId: { type: String, required: true, index: true },
    ruleVersion: { type: Number, required: true },
    policyVersion: { type: String, required: true },
    description: { type: String, required: true },
    severity: { type: String, required: true },
    verdict: { type: String, required: true },
    actions: { type: [String], required: true },
    escalateTo: { type: [String], required: true },
    matchedText: { type: String, required: true },
    start: { type: Number, required: true },
    end: { type: Number, required: true },
    normalised: { type: String, required: true },
    reason: { type: String, default: null },
    steps: { type: [String], default: [] },
    context: { type: String, required: true },
    matches: { type: [matchSchema], required: true },
    threshold: { type: thresholdSchema, default: undefined },
    createdAt: { type: Date, required: true, index: true },
    day: { type: String, default: null },
  },
  { collection: 'violations', versionKey: false, strict: 'throw' },
)
violationSchema.index({ ruleId: 1, day: -1 })

export function violationModel(connection: Connection): Model<Violation> {
  return (
    (connection.models.Violation as Model<Violation> | undefined) ??
    connection.model<Violation>('Violation', violationSchema)
  )
}
