import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.js';

export function registerHealthRoutes(app: FastifyInstance, db: Db): void {
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await db.query('SELECT 1');
      return { ok: true, database: 'up' };
    } catch {
      return reply.status(503).send({ ok: false, database: 'down' });
    }
  });
}
