import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import {
  charged,
  credits,
  expectAuditClean,
  IMAGE,
  journal,
  refunded,
  startWorld,
  taskRow,
  until,
  waitForRow,
} from './world.js';

const PENDING_DEADLINE_MS = 3000;

describe('a pending task whose retries keep meeting transient errors', () => {
  let h: Harness;
  beforeAll(async () => {
    // Seed 2 makes the first task fail with KIE's failCode 500 (a transient failure: retried). Every resubmission of
    // a task the provider already took is then answered with a transient error, forever.
    h = await startWorld({
      worker: true,
      sim: { seed: 2, failRate: 1, transientAfterAccept: true },
      env: { PENDING_DEADLINE_MS: String(PENDING_DEADLINE_MS) },
    });
  });
  afterAll(() => h.close());

  it('is failed and refunded by its deadline plus one cleanup tick', async () => {
    const { apiKey } = await h.user(100);
    const { apiKey: adminKey } = await h.user(0, 'admin');
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect(submitted.body.status).toBe('processing');
    const taskId: string = submitted.body.taskId;

    // The provider task failed transiently; the task went back to pending and its resubmissions are refused.
    await waitFor('resubmissions to meet transient errors', async () => h.sim.stats().resubmissionsRefused >= 2);
    const resubmittedBy = Date.now();
    // Its pending deadline runs from its resubmission at the latest; once that has passed, one cleanup tick.
    await until(resubmittedBy + PENDING_DEADLINE_MS + 100);
    const tick = await h.api(adminKey, 'POST', '/api/admin/trigger-cron', { job: 'cleanup-jobs' });
    expect(tick.status).toBe(200);

    const row = await taskRow(h, taskId);
    expect(row.status).toBe('failed');
    expect(row.error_code).toBe('dispatch_timeout');
    expect(await journal(h.system.db, taskId)).toEqual(refunded());
    expect(await credits(h, apiKey)).toEqual({ balance: 100, frozen: 0, available: 100 });
    const frozen = await h.system.db.query<{ frozen: string }>('SELECT coalesce(sum(frozen_balance), 0)::text AS frozen FROM user_credits');
    expect(frozen.rows[0]!.frozen).toBe('0');
    await expectAuditClean(h);
  });
});

describe('the timeout cleanup', () => {
  let h: Harness;
  beforeAll(async () => {
    // No callback and no worker: the provider finishes, and nobody here hears of it until the cleanup asks.
    h = await startWorld({ sim: { lostCallbackRate: 1 } });
  });
  afterAll(() => h.close());

  it('asks the provider first: a task it finished, past its timeout, is completed and charged, not refunded', async () => {
    const { apiKey } = await h.user(100);
    const { apiKey: adminKey } = await h.user(0, 'admin');
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const taskId: string = submitted.body.taskId;
    const { provider_task_id: providerTaskId } = await waitForRow(h, taskId, (r) => r.provider_task_id !== null);
    await waitFor('the provider to finish the task', async () => {
      const record = await fetch(`${h.sim.url}/api/v1/jobs/recordInfo?taskId=${providerTaskId}`, { headers: { authorization: 'Bearer test-key' } });
      return (await record.json()).data?.state === 'success';
    });
    await waitFor('the task to be processing for more than 1 s', async () => {
      const { rows } = await h.system.db.query<{ over: boolean }>(
        "SELECT processing_started_at < now() - interval '1100 milliseconds' AS over FROM tasks WHERE id = $1",
        [taskId],
      );
      return rows[0]!.over;
    });

    const cleanup = await h.api(adminKey, 'POST', '/api/admin/jobs/cleanup', { timeoutMs: 1000 });
    expect(cleanup.status).toBe(200);

    const row = await taskRow(h, taskId);
    expect(row.status).toBe('completed');
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    const view = await h.api(apiKey, 'GET', `/api/v1/tasks/${taskId}`);
    const asset = await fetch(`${h.url}${new URL(view.body.assetUrl).pathname}`);
    expect(asset.status).toBe(200);
    await asset.body?.cancel();
    await expectAuditClean(h);
  });
});
