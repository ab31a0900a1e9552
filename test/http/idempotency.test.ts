import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, tableCounts } from '../helpers/ledger.js';

const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'waves', aspect_ratio: 'landscape' } };

describe('Idempotency-Key', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('replays the same task for the same key and body, with one hold and one provider submission', async () => {
    const { apiKey } = await h.user(100);
    const headers = { 'idempotency-key': 'order-1234' };
    const before = h.sim.stats().submissions;
    const first = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO, headers);
    const reordered = { input: { aspect_ratio: 'landscape', prompt: 'waves' }, model: VIDEO.model, type: VIDEO.type };
    const replays = await Promise.all([1, 2, 3].map(() => h.api(apiKey, 'POST', '/api/v1/tasks', reordered, headers)));
    expect(first.status).toBe(202);
    for (const replay of replays) expect(replay.body.taskId).toBe(first.body.taskId);
    const holds = await h.system.db.query('SELECT count(*)::int AS n FROM credit_holds h JOIN tasks t ON t.id = h.task_id WHERE t.idempotency_key = $1', ['order-1234']);
    expect(holds.rows[0]).toEqual({ n: 1 });
    expect(h.sim.stats().submissions - before).toBe(1);
    expect((await h.api(apiKey, 'GET', '/api/v1/credits')).body.frozen).toBe(30);
  });

  it('the same key with another body is 409 and changes nothing', async () => {
    const { apiKey } = await h.user(100);
    const headers = { 'idempotency-key': 'order-5678' };
    await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO, headers);
    const counts = await tableCounts(h.system.db);
    const conflict = await h.api(apiKey, 'POST', '/api/v1/tasks', { ...VIDEO, input: { prompt: 'something else' } }, headers);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    expect(await tableCounts(h.system.db)).toEqual(counts);
    await expectAuditClean(h.system.db);
  });

  it('keys are per user: another user may use the same key', async () => {
    const a = await h.user(100);
    const b = await h.user(100);
    const headers = { 'idempotency-key': 'shared-key' };
    const ra = await h.api(a.apiKey, 'POST', '/api/v1/tasks', VIDEO, headers);
    const rb = await h.api(b.apiKey, 'POST', '/api/v1/tasks', VIDEO, headers);
    expect(ra.status).toBe(202);
    expect(rb.status).toBe(202);
    expect(ra.body.taskId).not.toBe(rb.body.taskId);
  });
});
