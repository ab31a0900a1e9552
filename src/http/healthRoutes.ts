import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/index.js';
import type { ProviderHealth } from '../providers/index.js';

/**
 * Liveness, and readiness: 503 while the database is unreachable. The operator's provider accounts, as this
 * process last found them, show as `provider: "degraded"` (with each provider's code) but keep the answer 200: a
 * provider account out of credits is the operator's to fix, and restarting Settle would not help.
 */
export function registerHealthRoutes(app: FastifyInstance, db: Db, providerHealth: ProviderHealth): void {
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
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
