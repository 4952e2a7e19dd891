import type { Db } from 'mongodb'

/**
 * Whether the server answers an equality on a top-level field through an index, which decides
 * how search and export ask for records (src/search/query-plan.ts):
 * - MongoDB does (the compound indexes in message-model.ts);
 * - FerretDB 1.x on PostgreSQL does only when GIN twins of its indexes exist
 *   (scripts/ferretdb-gin.sql): its own btree indexes never serve its `@>` filters, so without
 *   the twins every query is a full scan and fewer, wider queries are cheaper.
 * FerretDB answers `explain` with PostgreSQL's plan, so the plan of a day lookup tells.
 */
export async function serverReadsIndexes(db: Db): Promise<boolean> {
  const known = cache.get(db)
  if (known !== undefined) return known
  const answer = await probe(db)
  cache.set(db, answer)
  return answer
}

const cache = new WeakMap<Db, boolean>()

async function probe(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 })
  if (typeof info.ferretdbVersion !== 'string') return true
  try {
    const explained = await db.command({
      explain: { find: 'messages', filter: { day: '0000-00-00' } },
      verbosity: 'queryPlanner',
    })
    return namesAnIndex(explained.queryPlanner)
  } catch {
    // No plan to read (e.g. a server that refuses explain): assume scans, the safe choice.
    return false
  }
}

/** Does a PostgreSQL plan (as JSON) read any index? */
export function namesAnIndex(plan: unknown): boolean {
  if (plan === null || typeof plan !== 'object') return false
  if (Array.isArray(plan)) return plan.some(namesAnIndex)
  const node = plan as Record<string, unknown>
  if (typeof node['Index Name'] === 'string') return true
  return Object.values(node).some(namesAnIndex)
}
