import type { FastifyInstance } from 'fastify'
import { pingDatabase } from '../archive/database.js'

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string' }, database: { type: 'string' } },
} as const

/** Liveness says the process answers; readiness says it can archive (the database answers). */
export async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/healthz',
    { schema: { summary: 'liveness', response: { 200: statusSchema } }, logLevel: 'warn' },
    async () => ({ status: 'ok' }),
  )

  app.get(
    '/readyz',
    {
      schema: { summary: 'readiness', response: { 200: statusSchema, 503: statusSchema } },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const up = await pingDatabase(app.warden.connection)
      return reply.code(up ? 200 : 503).send({
        status: up ? 'ready' : 'unavailable',
        database: up ? 'up' : 'down',
      })
    },
  )
}
