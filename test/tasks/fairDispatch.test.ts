import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/users/index.js';
import { startWorker } from '../../src/recovery/index.js';
import { submitTask } from '../../src/tasks/index.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';
import { VIDEO_MODEL } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

const submit = (r: RecoverySystem, userId: string, i: number) =>
  submitTask(r.system.tasks, { userId, type: 'video', model: VIDEO_MODEL, input: { prompt: `prompt ${i}` } });

describe('fair dispatch: one user\'s burst cannot starve the others', () => {
  let r: RecoverySystem;
  beforeAll(async () => {
    // A tight provider limit, so that tasks queue and the order in which they leave is Settle's to choose.
    r = await startRecoverySystem({ sim: { durationMs: [60_000, 60_000] }, env: { PROVIDER_RATE_LIMIT: '20', PROVIDER_RATE_WINDOW_MS: '1000' } });
  });
  afterAll(() => r.close());

  it('user A submits 2,000 tasks, then user B 10: all of B\'s reach the provider before A\'s 200th', async () => {
    const a = await createUser(r.system.db, { email: `burst-a-${process.pid}@example.com`, credits: 100_000 });
    const b = await createUser(r.system.db, { email: `burst-b-${process.pid}@example.com`, credits: 1_000 });
    // The burst arrives while the provider refuses new tasks for now (the operator's key limit, KIE 433), so every
    // task waits in Settle; then B's ten arrive; then the provider is back, and Settle chooses the order.
    r.sim.setFaults({ accountError: 433 });
    const limit = pLimit(16);
    const aTasks = await Promise.all(Array.from({ length: 2000 }, (_, i) => limit(() => submit(r, a.userId, i))));
    const bTasks = await Promise.all(Array.from({ length: 10 }, (_, i) => limit(() => submit(r, b.userId, i))));
    r.sim.setFaults({ accountError: null });
    const bIds = new Set(bTasks.map((t) => t.taskId));
    const aIds = new Set(aTasks.map((t) => t.taskId));
    const worker = startWorker(r.system.tasks, { concurrency: 10 });
    try {
      await waitFor('A\'s 200th task at the provider', async () => (await accepted(r, aIds)).length >= 200, 60_000);
    } finally {
      await worker.stop();
    }
    const a200 = (await accepted(r, aIds))[199]!;
    const bAccepted = await accepted(r, bIds);
    expect(bAccepted).toHaveLength(10);
    expect(Math.max(...bAccepted.map((c) => c.at))).toBeLessThanOrEqual(a200.at);
  }, 120_000);

  it('USER_MAX_ACTIVE_TASKS: a user has at most that many tasks at the provider; the next one leaves when one settles', async () => {
    const capped = await startRecoverySystem({ sim: { durationMs: [60_000, 60_000] }, env: { USER_MAX_ACTIVE_TASKS: '2' } });
    try {
      const user = await createUser(capped.system.db, { email: `capped-${process.pid}@example.com`, credits: 1_000 });
      const tasks = await Promise.all(Array.from({ length: 6 }, (_, i) => submit(capped, user.userId, i)));
      const ids = new Set(tasks.map((t) => t.taskId));
      const worker = startWorker(capped.system.tasks, { concurrency: 6 });
      try {
        const [first] = await waitFor('two tasks at the provider', async () => {
          const calls = await accepted(capped, ids);
          return calls.length >= 2 ? calls : undefined;
        });
        expect(await accepted(capped, ids)).toHaveLength(2);
        capped.sim.finish(first!.providerTaskId!, 'success');
        await waitFor('the first to settle and a third to leave', async () => (await accepted(capped, ids)).length === 3, 30_000);
        const settled = await capped.system.db.query<{ completed_at: Date }>(`SELECT completed_at FROM tasks WHERE provider_task_id = $1`, [first!.providerTaskId]);
        // The third left only after the first had settled: never three at the provider at once.
        expect((await accepted(capped, ids))[2]!.at).toBeGreaterThanOrEqual(settled.rows[0]!.completed_at.getTime() - 5);
      } finally {
        await worker.stop();
      }
      const states = await capped.system.db.query<{ status: string; n: number }>(
        `SELECT status, count(*)::integer AS n FROM tasks WHERE user_id = $1 GROUP BY status ORDER BY status`, [user.userId]);
      expect(states.rows).toEqual([{ status: 'completed', n: 1 }, { status: 'pending', n: 3 }, { status: 'processing', n: 2 }]);
      await expectAuditClean(capped.system.db);
    } finally {
      await capped.close();
    }
  }, 60_000);
});

/**
 * The createTask calls that created a provider task for one of these Settle tasks, oldest first, as the simulator
 * logged them (this system sends no callback URL, so the provider task ids the tasks recorded say whose call it was).
 */
async function accepted(r: RecoverySystem, ids: Set<string>) {
  const { rows } = await r.system.db.query<{ provider_task_id: string }>(
    `SELECT provider_task_id FROM tasks WHERE id = ANY($1::uuid[]) AND provider_task_id IS NOT NULL`, [[...ids]]);
  const theirs = new Set(rows.map((row) => row.provider_task_id));
  return r.sim.log().calls.filter((c) => c.providerTaskId && theirs.has(c.providerTaskId));
}
