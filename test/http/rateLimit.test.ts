import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { tableCounts } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

const IMAGE = { type: 'image', model: 'google/nano-banana', input: { prompt: 'rate limited' } };

describe('per-API-key submission rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { SUBMIT_RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(() => h.close());

  it('answers 429 with Retry-After past the limit, changes nothing, and leaves other keys alone', async () => {
    const a = await h.user(1000);
    const b = await h.user(1000);
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await h.api(a.apiKey, 'POST', i % 2 ? '/api/v1/generate-image' : '/api/v1/tasks', i % 2 ? { prompt: 'x' } : IMAGE));
    expect(first.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    // Settlements change the journal and balances; the refused request must be compared against a quiet ledger.
    await waitFor('the accepted submissions to settle', async () => {
      const { rows } = await h.system.db.query<{ live: number }>(`SELECT count(*)::int AS live FROM tasks WHERE status IN ('pending', 'processing')`);
      return rows[0]!.live === 0;
    });

    const before = await tableCounts(h.system.db);
    const limited = await h.api(a.apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.stringify(limited.body)).not.toContain(a.apiKey);
    expect(await tableCounts(h.system.db)).toEqual(before);

    expect((await h.api(b.apiKey, 'POST', '/api/v1/tasks', IMAGE)).status).toBe(202);
    expect((await h.api(a.apiKey, 'GET', '/api/v1/credits')).status).toBe(200);
  });
});
