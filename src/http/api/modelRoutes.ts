import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/index.js';
import type { Catalog } from '../../providers/index.js';
import { requireUser } from '../auth/index.js';
import { AUTH_ERRORS, BEARER, errorResponses, userRouteHeaders } from '../contract.js';

/** GET /api/v1/models: what a user can submit and what it costs, so a client can show prices before submitting. */
export function registerModelRoutes(app: FastifyInstance, db: Db, catalog: Catalog): void {
  const schema = { tags: ['tasks'], summary: 'The models, their prices and inputs', security: BEARER, headers: userRouteHeaders, response: errorResponses(...AUTH_ERRORS, 404) };
  app.get('/api/v1/models', { preValidation: requireUser(db), schema }, async () => ({
    models: catalog.list().map((m) => ({ id: m.id, type: m.type, price: m.price, timeoutMs: m.timeoutMs })),
  }));
}
