import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { charged, credits, expectAuditClean, IMAGE, journal, refunded, settled, startWorld, taskRow } from './world.js';

describe('the operator\'s KIE account', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startWorld({ worker: true });
  });
  afterEach(() => h.sim.setFaults({ accountError: null }));
  afterAll(() => h.close());

  it('KIE 505 (feature disabled) on create answers 422 provider_rejected and refunds at once', async () => {
    const { apiKey, userId } = await h.user(100);
    h.sim.setFaults({ accountError: 505 });
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect(submitted.status).toBe(422);
    expect(submitted.body.error.code).toBe('provider_rejected');
    const { rows } = await h.system.db.query<{ id: string }>('SELECT id FROM tasks WHERE user_id = $1', [userId]);
    expect(rows).toHaveLength(1);
    const taskId = rows[0]!.id;
    expect((await taskRow(h, taskId)).status).toBe('failed');
    expect(await journal(h.system.db, taskId)).toEqual(refunded());
    expect(await credits(h, apiKey)).toEqual({ balance: 100, frozen: 0, available: 100 });
    expect(h.sim.stats().createCalls['505']).toBe(1);
  });

  it.each([433, 402] as const)('KIE %i keeps the task pending within its deadline, shows provider degraded on /readyz with 200, and the task completes once the account recovers', async (code) => {
    const { apiKey } = await h.user(100);
    const refusedBefore = h.sim.stats().createCalls[String(code)] ?? 0;
    h.sim.setFaults({ accountError: code });
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect(submitted.status).toBe(202);
    expect(submitted.body.status).toBe('pending');
    const taskId: string = submitted.body.taskId;

    // The worker keeps trying, and the account keeps refusing: the task stays pending, the user is not failed.
    await waitFor(`a second createTask answered ${code}`, async () => (h.sim.stats().createCalls[String(code)] ?? 0) >= refusedBefore + 2);
    expect((await taskRow(h, taskId)).status).toBe('pending');
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, provider: 'degraded' });

    h.sim.setFaults({ accountError: null });
    expect((await settled(h, taskId)).status).toBe('completed');
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    expect(await (await fetch(`${h.url}/readyz`)).json()).toMatchObject({ ok: true, provider: 'ok' });
    await expectAuditClean(h);
  });
});

describe('a provider Retry-After of hours', () => {
  let h: Harness;
  beforeAll(async () => {
    // One new task per 3 hours: the second createTask is answered 429 with a Retry-After of about 10,800 s.
    h = await startWorld({ sim: { rateLimit: { max: 1, windowMs: 3 * 60 * 60_000 } } });
  });
  afterAll(() => h.close());

  it('is bounded: the task is due again within 5 minutes, not hours', async () => {
    const { apiKey } = await h.user(100);
    expect((await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE)).body.status).toBe('processing');
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect(submitted.body.status).toBe('pending');
    expect(h.sim.stats().rejectedRateLimited).toBe(1);
    const { rows } = await h.system.db.query<{ due_in_s: number }>(
      'SELECT extract(epoch FROM next_check_at - now())::float8 AS due_in_s FROM tasks WHERE id = $1',
      [submitted.body.taskId],
    );
    expect(rows[0]!.due_in_s).toBeLessThanOrEqual(5 * 60);
  });
});
