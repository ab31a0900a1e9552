import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { age, submitVideo } from './helpers.js';

const SECRET = 'cron-secret-for-tests';
const BACKLOG = 30;
const BATCH = 5;

/**
 * DESIGN section 13: a cron route's run stops taking batches after CRON_ROUTE_BUDGET_MS and answers, so a caller
 * with a short HTTP timeout (Vercel cron) sees its answer; the next call goes on with the backlog. Each stuck task
 * here costs at least 100 ms (its result download is delayed so, one task at a time), so a 5-task batch takes at
 * least 0.5 s: a 1 s budget fits at most three batches however fast the machine, while a CLI run (bounded by
 * RECONCILE_BUDGET_MS, 60 s) drains the same backlog in one run.
 */
describe('CRON_ROUTE_BUDGET_MS', () => {
  let h: Harness;
  let userId: string;

  beforeAll(async () => {
    h = await startHarness({
      env: { CRON_SECRET: SECRET, CRON_ROUTE_BUDGET_MS: '1000', BATCH_SIZE: String(BATCH), RECONCILE_CONCURRENCY: '1' },
      sim: { lostCallbackRate: 1 },
    });
    userId = (await h.user(100_000)).userId;
  });
  afterAll(() => h?.close());

  async function stuckBacklog(): Promise<void> {
    h.sim.setFaults({ downloadDelayMs: 0 });
    for (let i = 0; i < BACKLOG; i++) {
      const task = await submitVideo(h.system.tasks, userId);
      h.sim.finish(task.provider_task_id!, 'success');
      await age(h.system.db, task.id, { processingMinutes: 20 });
    }
    h.sim.setFaults({ downloadDelayMs: 100 });
  }

  it('a cron route answers after its budget with part of the backlog; the next calls finish it', async () => {
    await stuckBacklog();
    const runs: { totalFound: number; completed: number }[] = [];
    for (let call = 0; call < BACKLOG; call++) {
      const res = await h.api(SECRET, 'POST', '/api/cron/process-stuck-tasks');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      runs.push({ totalFound: res.body.totalFound, completed: res.body.results.completed });
      if (res.body.totalFound === 0) break;
    }
    expect(runs[0]!.totalFound, JSON.stringify(runs)).toBeLessThanOrEqual(3 * BATCH);
    expect(runs[0]!.totalFound).toBeGreaterThanOrEqual(BATCH);
    expect(runs.filter((r) => r.totalFound > 0).length).toBeGreaterThanOrEqual(2);
    expect(runs.reduce((sum, r) => sum + r.completed, 0)).toBe(BACKLOG);
    await expectAuditClean(h.system.db);
  }, 120_000);

  it('the same backlog drains in one CLI run, which the route budget does not bound', async () => {
    await stuckBacklog();
    const run = await h.system.runJob('process-stuck-tasks', 'cli');
    expect(run.status).toBe('completed');
    expect(run.summary).toMatchObject({ found: BACKLOG, completed: BACKLOG });
  }, 120_000);
});
