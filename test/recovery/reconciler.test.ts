import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, type Provider } from '../../src/providers/index.js';
import { cleanupTimedOutTasks, reconcileStuckTasks, type ReconcileOptions } from '../../src/recovery/index.js';
import type { TaskDeps, TaskRow } from '../../src/tasks/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { age, databaseDigest, expectEachTaskSettledOnce, sortedActions, submitVideo, taskRow, VIDEO_PRICE } from './helpers.js';

const MINUTE = 60_000;
const OPTIONS: ReconcileOptions = { batchSize: 50, stuckAfterMs: 10 * MINUTE, pendingStuckMs: 10 * MINUTE, concurrency: 4 };

describe('reconcileStuckTasks', () => {
  let h: Harness;
  let deps: TaskDeps;
  let userId: string;

  beforeAll(async () => {
    // Callbacks are lost and nobody polls: only the reconciler moves these tasks.
    h = await startHarness({ sim: { lostCallbackRate: 1 } });
    deps = h.system.tasks;
    userId = (await h.user(10_000)).userId;
  });
  afterAll(() => h.close());

  /** A processing task whose provider task never finishes on its own. */
  const hungTask = async (): Promise<TaskRow> => {
    h.sim.setFaults({ hangRate: 1 });
    try {
      return await submitVideo(deps, userId);
    } finally {
      h.sim.setFaults({ hangRate: 0 });
    }
  };
  /** A task left pending: the provider refused its dispatch for now. */
  const pendingTask = async (): Promise<TaskRow> => {
    h.sim.setFaults({ transientErrorRate: 1 });
    try {
      return await submitVideo(deps, userId);
    } finally {
      h.sim.setFaults({ transientErrorRate: 0 });
    }
  };
  const oneAttempt = (taskId: string) => h.system.db.query('UPDATE tasks SET max_attempts = 1 WHERE id = $1', [taskId]);
  const leaseElsewhere = (taskId: string) =>
    h.system.db.query(`UPDATE tasks SET lease_owner = 'other-host:1:x', lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [taskId]);

  it('a dry run changes nothing and reports exactly the tasks and actions the real run then takes', async () => {
    // A timeout-failure whose provider delivers afterwards: made first, so the cleanup below touches only it.
    const late = await hungTask();
    await age(h.system.db, late.id, { processingMinutes: 30 });
    expect((await cleanupTimedOutTasks(deps, { timeoutMs: 20 * MINUTE })).cleanedUp).toBe(1);
    h.sim.finish(late.provider_task_id!, 'success');

    const done = await hungTask();
    h.sim.finish(done.provider_task_id!, 'success');
    const failedForGood = await hungTask();
    await oneAttempt(failedForGood.id);
    h.sim.finish(failedForGood.provider_task_id!, 'fail');
    const pastDeadline = await hungTask();
    const pastDeadlineLastAttempt = await hungTask();
    await oneAttempt(pastDeadlineLastAttempt.id);
    const running = await hungTask();
    const leased = await hungTask();
    const fresh = await hungTask();
    for (const t of [done, failedForGood, running, leased]) await age(h.system.db, t.id, { processingMinutes: 20 });
    for (const t of [pastDeadline, pastDeadlineLastAttempt]) await age(h.system.db, t.id, { processingMinutes: 20, pastDeadline: true });
    await leaseElsewhere(leased.id);

    const stalePending = await pendingTask();
    const inDoubt = await pendingTask();
    const leasedPending = await pendingTask();
    const neverAccepted = await pendingTask();
    for (const t of [stalePending, inDoubt, leasedPending]) await age(h.system.db, t.id, { createdMinutes: 15 });
    // Past its pending deadline without a provider ever accepting it: failed and refunded, not sent again.
    await age(h.system.db, neverAccepted.id, { createdMinutes: 35, pastDeadline: true });
    // A createTask sent a minute ago whose answer was lost: it may have made a provider task, so it is not sent again.
    await h.system.db.query(`UPDATE tasks SET dispatch_started_at = now() - interval '1 minute' WHERE id = $1`, [inDoubt.id]);
    await leaseElsewhere(leasedPending.id);

    const before = await databaseDigest(h.system.db);
    const dry = await reconcileStuckTasks(deps, { ...OPTIONS, dryRun: true });
    expect(await databaseDigest(h.system.db)).toEqual(before);

    expect(sortedActions(dry.tasks)).toEqual(
      sortedActions([
        { taskId: done.id, action: 'complete' },
        { taskId: failedForGood.id, action: 'fail' },
        { taskId: pastDeadline.id, action: 'retry' },
        { taskId: pastDeadlineLastAttempt.id, action: 'fail' },
        { taskId: running.id, action: 'wait' },
        { taskId: stalePending.id, action: 'redispatch' },
        { taskId: neverAccepted.id, action: 'fail' },
        { taskId: late.id, action: 'late_result' },
      ]),
    );
    expect(dry.skipped.map((s) => s.taskId).sort()).toEqual([leased.id, inDoubt.id, leasedPending.id].sort());
    expect(dry.skipped.find((s) => s.taskId === inDoubt.id)!.reason).toMatch(/sent \d+s ago without an answer; in doubt .*DISPATCH_DOUBT_MS/);
    expect(dry.skipped.find((s) => s.taskId === leased.id)!.reason).toMatch(/lease is live \(held by other-host/);
    expect(dry).toMatchObject({ dryRun: true, totalFound: 10, completed: 1, failed: 3, retried: 1, stillProcessing: 1, redispatched: 1, lateResults: 1, errors: 0 });
    expect(dry.tasks.find((t) => t.taskId === fresh.id)).toBeUndefined();

    const real = await reconcileStuckTasks(deps, OPTIONS);
    expect(sortedActions(real.tasks)).toEqual(sortedActions(dry.tasks));
    expect(real.skipped.map((s) => s.taskId).sort()).toEqual(dry.skipped.map((s) => s.taskId).sort());
    expect(real).toMatchObject({ dryRun: false, totalFound: 10, completed: 1, failed: 3, retried: 1, stillProcessing: 1, redispatched: 1, lateResults: 1, errors: 0 });

    // What the real run did to each task, and to each hold.
    expect(await taskRow(h.system.db, done.id)).toMatchObject({ status: 'completed', settled_by: 'reconciler' });
    expect(await journal(h.system.db, done.id)).toEqual([{ type: 'freeze', amount: VIDEO_PRICE }, { type: 'charge', amount: VIDEO_PRICE }]);
    expect(await taskRow(h.system.db, failedForGood.id)).toMatchObject({ status: 'failed', error_code: 'provider_failed' });
    expect(await taskRow(h.system.db, pastDeadlineLastAttempt.id)).toMatchObject({ status: 'failed', error_code: 'timeout' });
    const retried = await taskRow(h.system.db, pastDeadline.id);
    expect(retried).toMatchObject({ status: 'processing', attempts: 2 });
    expect(retried.provider_task_id).not.toBe(pastDeadline.provider_task_id);
    expect(await taskRow(h.system.db, running.id)).toMatchObject({ status: 'processing', attempts: 1, check_count: 1 });
    expect(await taskRow(h.system.db, stalePending.id)).toMatchObject({ status: 'processing', settled_by: null });
    expect(await taskRow(h.system.db, inDoubt.id)).toMatchObject({ status: 'pending' });
    expect(await taskRow(h.system.db, neverAccepted.id)).toMatchObject({ status: 'failed', error_code: 'dispatch_timeout' });
    expect(await taskRow(h.system.db, leased.id)).toMatchObject({ status: 'processing', lease_owner: 'other-host:1:x' });
    const lateRow = await taskRow(h.system.db, late.id);
    expect(lateRow).toMatchObject({ status: 'failed', error_code: 'timeout', late_result: true });
    expect(lateRow.asset_keys).toHaveLength(1);
    expect(await journal(h.system.db, late.id)).toEqual([{ type: 'freeze', amount: VIDEO_PRICE }, { type: 'unfreeze', amount: VIDEO_PRICE }]);

    await expectEachTaskSettledOnce(h.system.db);
    await expectAuditClean(h.system.db);

    // Nothing is settled twice: a second run finds the leftovers only, and the late result is not recorded again.
    const again = await reconcileStuckTasks(deps, OPTIONS);
    expect(again.completed + again.failed + again.lateResults).toBe(0);
  });

  it('takes the oldest stuck tasks first, at most batchSize', async () => {
    await clearLiveTasks(h);
    const tasks = [await hungTask(), await hungTask(), await hungTask()];
    for (const [i, t] of tasks.entries()) await age(h.system.db, t.id, { processingMinutes: 60 - i * 10 });
    const result = await reconcileStuckTasks(deps, { ...OPTIONS, batchSize: 2, dryRun: true });
    expect(result.totalFound).toBe(2);
    expect(result.tasks.map((t) => t.taskId).sort()).toEqual([tasks[0]!.id, tasks[1]!.id].sort());
  });

  it('with a budget, takes batch after batch while they come back full, and looks at each task once per run', async () => {
    await clearLiveTasks(h);
    const tasks = [];
    for (let i = 0; i < 5; i++) tasks.push(await hungTask());
    for (const t of tasks) await age(h.system.db, t.id, { processingMinutes: 20 });
    // Three tasks share one start time to the microsecond: the page key's id breaks the tie, and its time keeps the
    // microseconds a JavaScript Date would drop (the page's last task would be found again).
    await h.system.db.query(`UPDATE tasks SET processing_started_at = now() - interval '30 minutes 0.000123 seconds' WHERE id = ANY($1)`, [
      tasks.slice(0, 3).map((t) => t.id),
    ]);
    const ids = tasks.map((t) => t.id).sort();

    const oneBatch = await reconcileStuckTasks(deps, { ...OPTIONS, batchSize: 2, dryRun: true });
    expect(oneBatch).toMatchObject({ batches: 1, totalFound: 2, stillProcessing: 2 });

    const dry = await reconcileStuckTasks(deps, { ...OPTIONS, batchSize: 2, budgetMs: 60_000, dryRun: true });
    expect(dry).toMatchObject({ batches: 3, totalFound: 5, stillProcessing: 5 });
    expect(dry.tasks.map((t) => t.taskId).sort()).toEqual(ids);

    const real = await reconcileStuckTasks(deps, { ...OPTIONS, batchSize: 2, budgetMs: 60_000 });
    expect(real).toMatchObject({ batches: 3, totalFound: 5, stillProcessing: 5, errors: 0 });
    expect(real.tasks.map((t) => t.taskId).sort()).toEqual(ids);
    for (const t of tasks) expect(await taskRow(h.system.db, t.id)).toMatchObject({ status: 'processing', check_count: 1 });

    // A process shutting down: the run finishes the batch in hand and takes no other, whatever its budget.
    const shuttingDown = new AbortController();
    const stopped = reconcileStuckTasks(deps, { ...OPTIONS, batchSize: 2, budgetMs: 60_000, stopping: shuttingDown.signal });
    shuttingDown.abort();
    expect(await stopped).toMatchObject({ batches: 1, totalFound: 2, stillProcessing: 2 });
  });

  it('counts provider errors, backs the task off, and one task throwing never stops the batch', async () => {
    await clearLiveTasks(h);
    const flaky = await hungTask();
    const broken = await hungTask();
    const fine = await hungTask();
    h.sim.finish(fine.provider_task_id!, 'success');
    for (const t of [flaky, broken, fine]) await age(h.system.db, t.id, { processingMinutes: 20 });
    const faulty = withStatusFaults(deps, {
      [flaky.provider_task_id!]: new ProviderError('transient', '500', 'KIE recordInfo failed: 500 Server Error'),
      [broken.provider_task_id!]: new Error('a bug, not a provider answer'),
    });

    const result = await reconcileStuckTasks(faulty, OPTIONS);
    expect(result).toMatchObject({ totalFound: 3, completed: 1, errors: 2 });
    expect(result.tasks.find((t) => t.taskId === broken.id)).toMatchObject({ error: 'a bug, not a provider answer' });
    expect(result.tasks.find((t) => t.taskId === flaky.id)).toMatchObject({ action: 'provider_error', outcome: 'provider_error' });
    const backedOff = await taskRow(h.system.db, flaky.id);
    expect(backedOff).toMatchObject({ status: 'processing', provider_errors: 1 });
    expect(backedOff.next_check_at!.getTime()).toBeGreaterThan(backedOff.last_checked_at!.getTime());
    expect(await taskRow(h.system.db, fine.id)).toMatchObject({ status: 'completed' });
    await expectAuditClean(h.system.db);
  });
});

/** Settles every live task (cancel path of the ledger), so a test starts from an empty backlog. */
async function clearLiveTasks(h: Harness): Promise<void> {
  const { rows } = await h.system.db.query<{ id: string }>(`SELECT id FROM tasks WHERE status IN ('pending', 'processing')`);
  const { cancelTask } = await import('../../src/tasks/index.js');
  for (const row of rows) await cancelTask(h.system.tasks, row.id, 'admin');
}

/** Deps whose provider throws the given error for the given provider task ids' status checks. */
function withStatusFaults(deps: TaskDeps, faults: Record<string, Error>): TaskDeps {
  return {
    ...deps,
    providers: {
      get(name) {
        const real = deps.providers.get(name);
        const faulty: Provider = {
          ...real,
          submit: (r) => real.submit(r),
          parseCallback: (b, q) => real.parseCallback(b, q),
          download: (u) => real.download(u),
          status: async (id) => {
            if (faults[id]) throw faults[id];
            return real.status(id);
          },
        };
        return faulty;
      },
    },
  };
}
