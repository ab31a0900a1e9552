import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceTask } from '../../src/tasks/index.js';
import { startSimulator } from '../../src/simulators/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { freePort, waitFor } from '../helpers/net.js';

const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a fox in the snow' } };
const PRICE = 30;

async function pollUntilTerminal(h: Harness, key: string, taskId: string) {
  return waitFor(`task ${taskId} to settle`, async () => {
    const res = await h.api(key, 'GET', `/api/v1/tasks/${taskId}`);
    return ['completed', 'failed', 'canceled'].includes(res.body.status) ? res.body : undefined;
  });
}

describe('task lifecycle over HTTP against the simulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('submits, polls to completed, stores the exact bytes and charges the price once', async () => {
    const { apiKey } = await h.user(100);
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO);
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({ status: 'processing', creditsHeld: PRICE });
    expect(await h.api(apiKey, 'GET', '/api/v1/credits').then((r) => r.body)).toEqual({ balance: 100, frozen: PRICE, available: 70 });

    const done = await pollUntilTerminal(h, apiKey, submitted.body.taskId);
    expect(done).toMatchObject({ status: 'completed', progress: 100, creditsCharged: PRICE, creditsHeld: 0, creditsRefunded: 0 });

    const stored = Buffer.from(await (await fetch(done.assetUrl)).arrayBuffer());
    const task = await h.system.db.query<{ provider_task_id: string }>('SELECT provider_task_id FROM tasks WHERE id = $1', [done.taskId]);
    const served = Buffer.from(await (await fetch(`${h.sim.url}/files/${task.rows[0]!.provider_task_id}/0.mp4`)).arrayBuffer());
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.equals(served)).toBe(true);

    expect(await h.api(apiKey, 'GET', '/api/v1/credits').then((r) => r.body)).toEqual({ balance: 70, frozen: 0, available: 70 });
    expect(await journal(h.system.db, done.taskId)).toEqual([
      { type: 'freeze', amount: PRICE },
      { type: 'charge', amount: PRICE },
    ]);
    const status = await h.api(apiKey, 'GET', `/api/v1/video-status/${done.taskId}`);
    expect(status.body).toEqual({ status: 'completed', progress: 100, videoUrl: done.assetUrl });
    await expectAuditClean(h.system.db);
  });

  it('a provider failure ends failed and refunds the hold', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ failRate: 1 });
    try {
      const submitted = await h.api(apiKey, 'POST', '/api/v1/generate-video', { prompt: 'a storm at sea' });
      expect(submitted.status).toBe(202);
      const done = await pollUntilTerminal(h, apiKey, submitted.body.taskId);
      // the simulator's failures are not transient, so no retry happens
      expect(done).toMatchObject({ status: 'failed', creditsRefunded: PRICE, creditsCharged: 0 });
      expect(done.error.code).toBe('provider_failed');
      expect(await h.api(apiKey, 'GET', '/api/v1/credits').then((r) => r.body)).toEqual({ balance: 100, frozen: 0, available: 100 });
    } finally {
      h.sim.setFaults({ failRate: 0 });
    }
    await expectAuditClean(h.system.db);
  });

  it('a permanent rejection at create (KIE 505: the feature is disabled) answers 422 and leaves nothing frozen', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ accountError: 505 });
    try {
      const res = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('provider_rejected');
      expect(res.body.error.message).not.toContain('test-key');
      const task = await h.api(apiKey, 'GET', `/api/v1/tasks/${res.body.taskId}`);
      expect(task.body).toMatchObject({ status: 'failed', creditsRefunded: PRICE });
    } finally {
      h.sim.setFaults({ accountError: null });
    }
    expect(await h.api(apiKey, 'GET', '/api/v1/credits').then((r) => r.body)).toEqual({ balance: 100, frozen: 0, available: 100 });
    await expectAuditClean(h.system.db);
  });

  it('cancel refunds a live task, and a completed task cannot be canceled', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ hangRate: 1 });
    const live = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO);
    h.sim.setFaults({ hangRate: 0 });
    const canceled = await h.api(apiKey, 'POST', `/api/v1/tasks/${live.body.taskId}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toEqual({ taskId: live.body.taskId, status: 'canceled', creditsRefunded: PRICE });
    const again = await h.api(apiKey, 'POST', `/api/v1/tasks/${live.body.taskId}/cancel`);
    expect(again.status).toBe(409);
    expect(await h.api(apiKey, 'GET', '/api/v1/credits').then((r) => r.body)).toEqual({ balance: 100, frozen: 0, available: 100 });
    await expectAuditClean(h.system.db);
  });
});

describe('provider unreachable at submit', () => {
  it('answers 202 pending, keeps the hold, and advance dispatches once the provider is back', async () => {
    const port = await freePort();
    const h = await startHarness({ providerUrl: `http://127.0.0.1:${port}` });
    try {
      const { apiKey } = await h.user(100);
      const res = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO);
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('pending');
      expect(await h.api(apiKey, 'GET', '/api/v1/credits').then((r) => r.body)).toMatchObject({ frozen: PRICE });

      const sim = await startSimulator({ port, seed: 3, durationMs: [100, 200], rateLimit: null, apiKey: 'test-key' });
      try {
        expect(await advanceTask(h.system.tasks, res.body.taskId, 'worker')).toBe('dispatched');
        expect(sim.stats().submissions).toBe(1);
        const done = await pollUntilTerminal(h, apiKey, res.body.taskId);
        expect(done.status).toBe('completed');
      } finally {
        await sim.close();
      }
      await expectAuditClean(h.system.db);
    } finally {
      await h.close();
    }
  });
});
