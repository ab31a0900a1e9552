import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { tableCounts } from '../helpers/ledger.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

const pathSegment = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom('..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(5000), '%E2%80%AE', 'null', '-1', '1e309'),
);
const jsonBody = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', '{', '{"type":', '[]', 'null', '"prompt"', '{"__proto__":{"admin":true}}'),
  fc.record({
    type: fc.oneof(fc.constantFrom('video', 'image', 'audio', ''), fc.integer(), fc.constant(null)),
    model: fc.oneof(fc.constantFrom('sora-2-text-to-video', 'google/nano-banana', 'nope'), fc.string(), fc.integer()),
    input: fc.oneof(fc.record({ prompt: fc.oneof(fc.string({ maxLength: 50 }), fc.integer(), fc.constant(null)) }), fc.string(), fc.array(fc.integer())),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ prompt: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()), model: fc.string() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ job: fc.oneof(fc.string(), fc.integer()), timeoutMs: fc.oneof(fc.integer(), fc.string()), dryRun: fc.anything(), batchSize: fc.oneof(fc.integer(), fc.double()) }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
);

describe(`fuzz: ${RUNS} random malformed requests`, () => {
  let h: Harness;
  let keys: Record<string, string | undefined>;
  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET: 'fuzz-cron-secret' } });
    // A user with no credits: a request that happens to be well-formed still cannot touch the ledger (402).
    keys = { none: undefined, garbage: 'sk_settle_garbage', user: (await h.user(0)).apiKey, admin: (await h.user(0, 'admin')).apiKey, cron: 'fuzz-cron-secret' };
  });
  afterAll(() => h.close());

  it('never answers 5xx, always answers errors as JSON, and leaves the ledger unchanged', async () => {
    const routes = h.server.app.routeTable.filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
    const before = await tableCounts(h.system.db);
    const request = fc.record({
      route: fc.constantFrom(...routes),
      method: fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), { freq: 4 }),
      segment: pathSegment,
      query: fc.dictionary(fc.constantFrom('status', 'limit', 'offset', 'stuck', 'user', 'task', 'page', 'x'), fc.string({ maxLength: 30 }), { maxKeys: 3 }),
      who: fc.constantFrom('none', 'garbage', 'user', 'admin', 'cron'),
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', undefined),
      body: jsonBody,
      idempotencyKey: fc.option(fc.string({ maxLength: 300 })),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const url = r.route.url.replace(/:[A-Za-z]+/g, r.segment).replace(/\*$/, r.segment);
        const method = r.method ?? r.route.method;
        const key = keys[r.who];
        const res = await h.server.app.inject({
          method: method as 'POST',
          url,
          query: r.query,
          headers: {
            ...(key && { authorization: `Bearer ${key}` }),
            ...(r.contentType && { 'content-type': r.contentType }),
            ...(r.idempotencyKey && { 'idempotency-key': r.idempotencyKey }),
          },
          payload: method === 'GET' || method === 'DELETE' ? undefined : r.body,
        });
        const where = `${method} ${url.slice(0, 120)} answered ${res.statusCode}: ${res.body.slice(0, 200)}`;
        if (res.statusCode >= 500) throw new Error(where);
        if (res.statusCode >= 400 && url.startsWith('/api/')) {
          const body = JSON.parse(res.body);
          if (typeof body.error?.code !== 'string' || typeof body.error?.message !== 'string') throw new Error(`not our error shape: ${where}`);
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(await tableCounts(h.system.db)).toEqual(before);
  });
});
