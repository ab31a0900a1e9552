import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackgroundWork, type BackgroundWork } from '../../src/app/index.js';
import type { Queryable } from '../../src/db/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';

const SECRET = 'cron-secret-for-tests';
const EVERY_SECOND = { RECONCILE_CRON: '* * * * * *', CLEANUP_CRON: '* * * * * *', PROVIDER_ACCOUNT_CRON: 'off', CRON_SECRET: SECRET };

async function count(db: Queryable, sql: string): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${sql}`)).rows[0]!.n;
}

/**
 * DESIGN section 13: SCHEDULER=off leaves the recovery jobs to an outside caller of the cron routes. Two instances
 * side by side with the same every-second schedules, one with SCHEDULER=off: the other one's scheduled runs show
 * the schedule fires, while the off one claims no tick and records no scheduled run; its worker still delivers, and
 * its cron routes still run the jobs.
 */
describe('SCHEDULER=off', () => {
  let on: Harness;
  let off: Harness;
  const background: BackgroundWork[] = [];

  beforeAll(async () => {
    on = await startHarness({ env: EVERY_SECOND });
    off = await startHarness({ env: { ...EVERY_SECOND, SCHEDULER: 'off' }, sim: { lostCallbackRate: 1 } });
    for (const h of [on, off]) background.push(await startBackgroundWork(h.system));
  });
  afterAll(async () => {
    for (const work of background) await work.stop();
    await Promise.all([on?.close(), off?.close()]);
  });

  it('schedules nothing, while the worker delivers and the cron routes run the jobs', async () => {
    const { apiKey } = await off.user(100);
    const submitted = await off.api(apiKey, 'POST', '/api/v1/tasks', { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a fox' } });
    expect(submitted.status).toBe(202);
    // No callback arrives (lostCallbackRate 1): only the worker's polling can deliver it.
    await waitFor('the worker to deliver the task', async () => (await off.api(apiKey, 'GET', `/api/v1/tasks/${submitted.body.taskId}`)).body.status === 'completed');

    await waitFor('the scheduler of the other instance to run both jobs twice', async () =>
      (await count(on.system.db, `cron_job_executions WHERE trigger = 'cron'`)) >= 4, 30_000);
    expect(await count(off.system.db, 'cron_schedule_ticks')).toBe(0);
    expect(await count(off.system.db, 'cron_job_executions')).toBe(0);

    for (const job of ['process-stuck-tasks', 'cleanup-jobs']) {
      const res = await off.api(SECRET, 'POST', `/api/cron/${job}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    expect(await count(off.system.db, `cron_job_executions WHERE trigger = 'http'`)).toBe(2);
    expect(await count(off.system.db, `cron_job_executions WHERE trigger <> 'http'`)).toBe(0);
  });
});
