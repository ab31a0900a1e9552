import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/index.js';
import type { ProviderHealth } from '../providers/index.js';

/**
 * Liveness, and readiness: 503 while the database is unreachable. The operator's provider accounts, as this
 * process last found them, show as `provider: "degraded"` (with each provider's code) but keep the answer 200: a
 * provider account out of credits is the operator's to fix, and restarting Settle would not help.
 */
export function registerHealthRoutes(app: FastifyInstance, db: Db, providerHealth: ProviderHealth): void {
  const tags = ['health'];
  app.get('/healthz', { schema: { tags, summary: 'Liveness', response: { 200: z.object({ ok: z.literal(true) }) } } }, async () => ({ ok: true as const }));
  const readiness = z.looseObject({ ok: z.boolean(), database: z.enum(['up', 'down']), provider: z.enum(['ok', 'degraded']) });
  const readySchema = { tags, summary: 'Readiness: the database reachable; provider accounts as last seen', response: { 200: readiness, 503: readiness.describe('the database is unreachable') } };
  app.get('/readyz', { schema: readySchema }, async (_request, reply) => {
    const degraded = providerHealth.states().filter((s) => s.state === 'degraded');
    const provider = degraded.length > 0 ? 'degraded' : 'ok';
    const providers = Object.fromEntries(degraded.map((s) => [s.provider, { state: s.state, code: s.code, since: s.since.toISOString() }]));
    try {
      await db.query('SELECT 1');
      return { ok: true, database: 'up', provider, ...(degraded.length > 0 && { providers }) };
    } catch {
      return reply.status(503).send({ ok: false, database: 'down', provider });
    }
  });
}
