import type { Model, Types } from 'mongoose'
import { insertOnce } from '../archive/insert-once.js'
import type { ArchivedMessage } from '../archive/message-model.js'
import type { Violation } from '../archive/violation-model.js'
import { isWardenError } from '../errors/warden-error.js'
import { readInbound } from '../parse/read-inbound.js'
import type { PolicyEngine, PolicyHit, RuleThreshold } from '../policy/types.js'

const CONTEXT_CHARS = 30

export interface EvaluationModels {
  messages: Model<ArchivedMessage>
  violations: Model<Violation>
}

export interface EvaluationOutcome {
  skipped: boolean
  violationIds: Types.ObjectId[]
  /** Set when the policy engine failed on this message. */
  errorCode?: string
}

/**
 * Runs the policy over one archived message and records one violation per rule it breaks.
 * Safe to run any number of times: violations have a unique key per message and rule version.
 */
export async function evaluateMessage(
  models: EvaluationModels,
  policy: PolicyEngine,
  messageId: Types.ObjectId,
  now: Date = new Date(),
): Promise<EvaluationOutcome> {
  const message = await models.messages.findById(messageId).lean()
  if (!message) return { skipped: true, violationIds: [] }

  const text = policyText(message)
  let hits: PolicyHit[]
  try {
    hits = text
      ? policy.evaluate({
          text,
          fromUser: message.fromUser,
          channel: message.channel,
          msgType: message.msgType,
          departments: knownDepartments(message.sender),
        })
      : []
  } catch (err) {
    // An engine failure on this text would fail the same way on every retry: park the message
    // as `failed` (the sweep leaves it alone) and say so, rather than loop on it forever.
    const code = isWardenError(err) ? err.code : 'WARDEN_INTERNAL'
    await recordProcessing(
      models.messages,
      message._id,
      { state: 'failed', errorCode: code },
      policy,
      now,
    )
    return { skipped: false, violationIds: [], errorCode: code }
  }

  const violationIds: Types.ObjectId[] = []
  for (const [ruleKey, ruleHits] of groupByRule(hits)) {
    const key = `${message._id.toHexString()}:${ruleKey}`
    const doc = buildViolation(message, ruleHits, policy.version, key, now)
    await applyThreshold(models.violations, doc, ruleHits[0]?.threshold, now)
    await insertOnce(models.violations, doc)
    const stored = await models.violations.findOne({ key }, { _id: 1 }).lean()
    if (stored) violationIds.push(stored._id)
  }

  await recordProcessing(models.messages, message._id, { state: 'evaluated' }, policy, now)
  return { skipped: false, violationIds }
}

async function recordProcessing(
  messages: Model<ArchivedMessage>,
  id: Types.ObjectId,
  outcome: { state: 'evaluated' | 'failed'; errorCode?: string },
  policy: PolicyEngine,
  now: Date,
): Promise<void> {
  await messages.updateOne(
    { _id: id },
    {
      $set: {
        'processing.state': outcome.state,
        'processing.policyVersion': policy.version,
        'processing.evaluatedAt': now,
        'processing.errorCode': outcome.errorCode ?? null,
      },
    },
  )
}

/**
 * Counts the sender's earlier violations of the same rule (any version) inside the window, one
 * per message; when this one is the Nth or later, it takes the threshold's severity and actions.
 * Two messages of one sender evaluated at the same instant may both miss each other (no
 * transaction on FerretDB): the next one counts both.
 */
async function applyThreshold(
  violations: Model<Violation>,
  doc: Omit<Violation, '_id'>,
  threshold: RuleThreshold | undefined,
  now: Date,
): Promise<void> {
  if (!threshold || doc.fromUser === null) return

  const earlier = await violations.countDocuments({
    fromUser: doc.fromUser,
    ruleId: doc.ruleId,
    messageId: { $ne: doc.messageId },
    createdAt: { $gt: new Date(now.getTime() - threshold.withinMs), $lte: now },
  })
  if (earlier + 1 < threshold.hits) return

  doc.severity = threshold.escalate.severity ?? doc.severity
  doc.actions = [...(threshold.escalate.actions ?? doc.actions)]
  doc.threshold = { hits: earlier + 1, within: threshold.within }
}

function groupByRule(hits: PolicyHit[]): Map<string, PolicyHit[]> {
  const groups = new Map<string, PolicyHit[]>()
  for (const hit of [...hits].sort((a, b) => a.start - b.start)) {
    const key = `${hit.ruleId}@${hit.ruleVersion}`
    groups.set(key, [...(groups.get(key) ?? []), hit])
  }
  return groups
}

function buildViolation(
  message: ArchivedMessage,
  hits: PolicyHit[],
  policyVersion: string,
  key: string,
  now: Date,
): Omit<Violation, '_id'> {
  // The violation speaks for its surest hit: FLAG when any hit is FLAG, else REVIEW.
  const first = hits.find((hit) => hit.verdict === 'FLAG') ?? (hits[0] as PolicyHit)
  const text = policyText(message)
  return {
    key,
    messageId: message._id,
    day: message.day ?? null,
    msgId: message.msgId,
    channel: message.channel,
    fromUser: message.fromUser,
    ruleId: first.ruleId,
    ruleVersion: first.ruleVersion,
    policyVersion,
    description: first.description,
    severity: first.severity,
    verdict: first.verdict,
    actions: first.actions,
    escalateTo: first.escalateTo,
    matchedText: first.matchedText,
    start: first.start,
    end: first.end,
    normalised: first.normalised,
    reason: first.reason ?? null,
    steps: first.steps ?? [],
    context: text.slice(Math.max(0, first.start - CONTEXT_CHARS), first.end + CONTEXT_CHARS),
    matches: hits.map((hit) => ({
      text: hit.matchedText,
      start: hit.start,
      end: hit.end,
      normalised: hit.normalised,
      verdict: hit.verdict,
      reason: hit.reason ?? null,
      steps: hit.steps ?? [],
    })),
    createdAt: now,
  }
}

/**
 * The sender's departments as the directory reported them at archive time; unknown (null) when
 * the lookup failed, so that department-scoped rules still apply rather than silently not.
 */
function knownDepartments(sender: ArchivedMessage['sender'] | undefined): string[] | null {
  if (!sender || (sender.source !== 'user/get' && sender.source !== 'cache')) return null
  return sender.departments.map(String)
}

/**
 * The text the policy reads. A record the database refused in full was stored reduced (raw
 * bytes only, `content` null): its text is read back from the raw callback, so that no message
 * escapes the policy by being hard to store.
 */
export function policyText(
  message: Pick<ArchivedMessage, 'content' | 'rawXml' | 'rawXmlEncoding' | 'fields'>,
): string {
  if (typeof message.content === 'string') return message.content
  if (!(message.fields as { unstorable?: boolean } | null)?.unstorable) return ''
  const raw =
    message.rawXmlEncoding === 'base64'
      ? Buffer.from(message.rawXml, 'base64').toString('utf8')
      : message.rawXml
  try {
    return readInbound(raw).content ?? ''
  } catch {
    return ''
  }
}
