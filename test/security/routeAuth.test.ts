import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackRoutes } from '../../src/http/routeTable.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { findUnguardedRoutes, PUBLIC_ROUTES } from './routeAuth.js';

describe('every registered route checks its credential', () => {
  let h: Harness;
  let userKey: string;
  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET: 'cron-secret-for-tests' } });
    userKey = (await h.user(0)).apiKey;
  });
  afterAll(() => h.close());

  it('walks the real route table: anonymous callers and user keys on admin/cron routes are refused', async () => {
    const table = h.server.app.routeTable;
    expect(table.length).toBeGreaterThan(10);
    expect(await findUnguardedRoutes(h.server.app, userKey)).toEqual([]);
  });

  it('every public exception is a registered route (the allow-list cannot rot)', () => {
    const registered = new Set(h.server.app.routeTable.map((r) => `${r.method} ${r.url}`));
    const stale = Object.keys(PUBLIC_ROUTES).filter((name) => !registered.has(name));
    expect(stale).toEqual([]);
  });

  it('catches an admin route registered without auth (the check itself can fail)', async () => {
    const app = Fastify();
    trackRoutes(app);
    app.get('/api/admin/leak', async () => ({ secrets: true }));
    app.post('/api/admin/guarded', async (_req, reply) => reply.status(401).send({}));
    await app.ready();
    expect(await findUnguardedRoutes(app, 'any-user-key')).toEqual([
      { route: 'GET /api/admin/leak', as: 'anonymous', status: 200 },
      { route: 'GET /api/admin/leak', as: 'user', status: 200 },
      { route: 'HEAD /api/admin/leak', as: 'anonymous', status: 200 },
      { route: 'HEAD /api/admin/leak', as: 'user', status: 200 },
    ]);
    await app.close();
  });
});
