import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/index.js';
import { getCredits } from '../../ledger/index.js';
import { requireUser } from '../auth/index.js';

export function registerCreditRoutes(app: FastifyInstance, db: Db): void {
  app.get('/api/v1/credits', { preHandler: requireUser(db) }, async (request) => getCredits(db, request.principal!.userId));
}
