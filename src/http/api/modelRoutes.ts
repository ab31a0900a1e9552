import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/index.js';
import type { Catalog } from '../../providers/index.js';
import { requireUser } from '../auth/index.js';

/** GET /api/v1/models: what a user can submit and what it costs, so a client can show prices before submitting. */
export function registerModelRoutes(app: FastifyInstance, db: Db, catalog: Catalog): void {
  app.get('/api/v1/models', { preHandler: requireUser(db) }, async () => ({
    models: catalog.list().map((m) => ({ id: m.id, type: m.type, price: m.price, timeoutMs: m.timeoutMs })),
  }));
}
