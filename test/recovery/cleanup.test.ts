import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTimedOutTasks } from '../../src/recovery/index.js';
import { cancelTask, type TaskDeps, type TaskRow } from '../../src/tasks/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { age, databaseDigest, expectEachTaskSettledOnce, submitVideo, taskRow, VIDEO_PRICE } from './helpers.js';

const MINUTE = 60_000;

describe('cleanupTimedOutTasks', () => {
  let h: Harness;
  let deps: TaskDeps;
  let userId: string;

  beforeAll(async () => {
    h = await startHarness({ sim: { hangRate: 1, lostCallbackRate: 1 } });
    deps = h.system.tasks;
    userId = (await h.user(10_000)).userId;
  });
  afterAll(() => h.close());

  const processingFor = async (minutes: number): Promise<TaskRow> => {
    const task = await submitVideo(deps, userId);
    await age(h.system.db, task.id, { processingMinutes: minutes });
    return task;
  };

  it('fails and refunds tasks past their own timeout; a dry run first reports exactly that and changes nothing', async () => {
    const overdue = await processingFor(25); // the video model's timeout is 20 minutes
    const withinTimeout = await processingFor(15);
    const unknownStart = await processingFor(0);
    await h.system.db.query(`UPDATE tasks SET processing_started_at = NULL, updated_at = now() - interval '25 minutes' WHERE id = $1`, [unknownStart.id]);
    const leased = await processingFor(25);
    await h.system.db.query(`UPDATE tasks SET lease_owner = 'busy-worker', lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [leased.id]);

    const before = await databaseDigest(h.system.db);
    const dry = await cleanupTimedOutTasks(deps, { dryRun: true });
    expect(await databaseDigest(h.system.db)).toEqual(before);
    expect(dry).toMatchObject({ dryRun: true, timeoutMs: null, totalFound: 3, cleanedUp: 2, failed: 0, skipped: 1, tokensRefunded: 2 * VIDEO_PRICE, errors: [] });
    const byStatus = (r: typeof dry, status: string) => r.jobs.filter((j) => j.status === status).map((j) => j.taskId).sort();
    expect(byStatus(dry, 'would_clean_up')).toEqual([overdue.id, unknownStart.id].sort());
    expect(dry.jobs.find((j) => j.taskId === leased.id)).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/lease is live/) });

    const real = await cleanupTimedOutTasks(deps, {});
    expect(Object.keys(real)).toEqual(expect.arrayContaining(['totalFound', 'cleanedUp', 'failed', 'tokensRefunded', 'jobs', 'errors']));
    expect(real).toMatchObject({ dryRun: false, totalFound: 3, cleanedUp: 2, failed: 0, skipped: 1, tokensRefunded: 2 * VIDEO_PRICE, errors: [] });
    expect(byStatus(real, 'cleaned_up')).toEqual(byStatus(dry, 'would_clean_up'));

    for (const id of [overdue.id, unknownStart.id]) {
      const row = await taskRow(h.system.db, id);
      expect(row).toMatchObject({ status: 'failed', error_code: 'timeout', settled_by: 'cleanup' });
      expect(row.error_message).toMatch(/^Timed out: no result within 20 min/);
      expect(await journal(h.system.db, id)).toEqual([{ type: 'freeze', amount: VIDEO_PRICE }, { type: 'unfreeze', amount: VIDEO_PRICE }]);
    }
    expect(await taskRow(h.system.db, withinTimeout.id)).toMatchObject({ status: 'processing' });
    expect(await taskRow(h.system.db, leased.id)).toMatchObject({ status: 'processing', lease_owner: 'busy-worker' });
    await expectEachTaskSettledOnce(h.system.db);
    await expectAuditClean(h.system.db);

    // Idempotent: the cleaned tasks are terminal and not found again.
    expect((await cleanupTimedOutTasks(deps, {})).cleanedUp).toBe(0);
    for (const t of [withinTimeout, leased]) await cancelTask(deps, t.id, 'admin');
  });

  it('timeoutMs overrides the model timeout, and batchSize bounds a run, oldest first', async () => {
    const a = await processingFor(14);
    const b = await processingFor(13);
    const c = await processingFor(12);
    const first = await cleanupTimedOutTasks(deps, { timeoutMs: 10 * MINUTE, batchSize: 2 });
    expect(first.jobs.filter((j) => j.status === 'cleaned_up').map((j) => j.taskId).sort()).toEqual(
      expect.arrayContaining([a.id, b.id].sort()),
    );
    expect(await taskRow(h.system.db, c.id)).toMatchObject({ status: 'processing' });
    const second = await cleanupTimedOutTasks(deps, { timeoutMs: 10 * MINUTE, batchSize: 2 });
    expect(second.jobs.map((j) => j.taskId)).toContain(c.id);
    expect(second.timeoutMs).toBe(10 * MINUTE);
    await expectAuditClean(h.system.db);
  });
});
