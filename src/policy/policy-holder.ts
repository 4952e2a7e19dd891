import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { createTwoFilesPatch } from 'diff'
import type { Model } from 'mongoose'
import { isWardenError, WardenError } from '../errors/warden-error.js'
import { checkExamples } from './check-examples.js'
import { compilePolicy } from './load-policy.js'
import type { PolicyChange, PolicyChangeOutcome } from './policy-change-model.js'
import type { PolicyEngine } from './types.js'

export interface ReloadResult {
  outcome: PolicyChangeOutcome
  version: string
  reason: string | null
}

export interface PolicyHolder {
  current(): PolicyEngine
  /** Reads the policy file again; a policy that fails validation or its examples is refused. */
  reload(actor: string): Promise<ReloadResult>
}

/**
 * Keeps the active policy and swaps it only for one that compiles and whose examples all
 * agree, so that a bad edit never reaches live traffic. Every attempt is recorded, applied or
 * not, with who asked, when, and the diff.
 */
export async function createPolicyHolder(
  file: string,
  changes: () => Model<PolicyChange>,
): Promise<PolicyHolder> {
  let text = await readFile(file, 'utf8').catch((err: Error) => {
    throw new WardenError('WARDEN_POLICY_INVALID', {
      message: `cannot read ${file}: ${err.message}`,
    })
  })
  // At start-up there is no old policy to keep: a policy at odds with itself does not start.
  const first = tryCompile(text, file)
  if ('reason' in first) throw new WardenError('WARDEN_POLICY_INVALID', { message: first.reason })
  let engine = first.engine

  async function record(change: Omit<PolicyChange, '_id' | 'at' | 'file' | 'host'>) {
    await changes().create({ ...change, at: new Date(), file, host: hostname() })
  }

  return {
    current: () => engine,
    async reload(actor) {
      const nextText = await readFile(file, 'utf8').catch((err: Error) => err)
      const diff =
        typeof nextText === 'string' ? createTwoFilesPatch(file, file, text, nextText) : ''
      const base = { actor, fromVersion: engine.version, diff }

      const refusal =
        typeof nextText === 'string' ? null : `cannot read ${file}: ${nextText.message}`
      const candidate = refusal ? { reason: refusal } : tryCompile(nextText as string, file)
      if ('reason' in candidate) {
        await record({ ...base, outcome: 'refused', toVersion: null, reason: candidate.reason })
        return { outcome: 'refused', version: engine.version, reason: candidate.reason }
      }
      if (candidate.engine.version === engine.version) {
        await record({ ...base, outcome: 'unchanged', toVersion: engine.version, reason: null })
        return { outcome: 'unchanged', version: engine.version, reason: null }
      }

      engine = candidate.engine
      text = nextText as string
      await record({ ...base, outcome: 'applied', toVersion: engine.version, reason: null })
      return { outcome: 'applied', version: engine.version, reason: null }
    },
  }
}

function tryCompile(text: string, file: string): { engine: PolicyEngine } | { reason: string } {
  let engine: PolicyEngine
  try {
    engine = compilePolicy(text, file)
  } catch (err) {
    if (isWardenError(err)) return { reason: err.message }
    throw err
  }
  const failing = checkExamples(engine).filter((report) => report.failures.length > 0)
  if (failing.length > 0) {
    const rules = failing.map((report) => report.id).join(', ')
    return { reason: `${file}: examples disagree for ${rules} (run \`warden policy test\`)` }
  }
  return { engine }
}
