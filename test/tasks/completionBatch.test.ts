import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../../src/db/index.js';
import { captureHold } from '../../src/ledger/index.js';
import { completionEmails } from '../../src/notify/index.js';
import { claimTask, completeTask, newLease, SettlementConflictError, type ClaimedTask, type TaskDeps } from '../../src/tasks/index.js';
import { countingDb } from '../helpers/countingDb.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { submitVideo, VIDEO_PRICE } from '../recovery/helpers.js';

/** A second process on the same database: its own connection pool on PostgreSQL, its own batcher either way. */
function secondProcess(h: Harness): Db {
  if (!h.database.url) return countingDb(h.system.db).db;
  return openPostgres(h.database.url, { max: 10 });
}

describe('completions settled in groups', () => {
  let h: Harness;
  let deps: TaskDeps;
  beforeAll(async () => {
    h = await startHarness({ sim: { durationMs: [60_000, 60_000] } });
    deps = h.system.tasks;
  });
  afterAll(() => h.close());

  async function processingTasks(count: number): Promise<{ userId: string; taskIds: string[] }> {
    const { userId } = await h.user(count * VIDEO_PRICE);
    const taskIds: string[] = [];
    for (let i = 0; i < count; i++) taskIds.push((await submitVideo(deps, userId, `batch ${i}`)).id);
    return { userId, taskIds };
  }

  async function claimAll(taskIds: string[], d: TaskDeps = deps): Promise<ClaimedTask[]> {
    return Promise.all(taskIds.map(async (id) => {
      const lease = newLease(d);
      return { task: (await claimTask(d.db, id, lease, d.leaseMs))!, lease };
    }));
  }

  const complete = (d: TaskDeps, claim: ClaimedTask) => completeTask(d, claim, [`assets/${claim.task.id}/0.mp4`], new Date(), 'worker');

  async function charges(taskIds: string[]): Promise<Map<string, number>> {
    const { rows } = await h.system.db.query<{ reference_id: string; n: number }>(
      `SELECT reference_id, count(*)::integer AS n FROM credit_transactions WHERE type = 'charge' AND reference_id = ANY($1) GROUP BY reference_id`,
      [taskIds],
    );
    return new Map(rows.map((r) => [r.reference_id, r.n]));
  }

  async function statuses(taskIds: string[]): Promise<string[]> {
    const { rows } = await h.system.db.query<{ status: string }>('SELECT status FROM tasks WHERE id = ANY($1) ORDER BY id', [taskIds]);
    return rows.map((r) => r.status);
  }

  it('40 completions arriving together commit in a few transactions, each task completed and charged once', async () => {
    const { userId, taskIds } = await processingTasks(40);
    const counting = countingDb(h.system.db);
    const d = { ...deps, db: counting.db };
    const claims = await claimAll(taskIds, d);
    const settled = await Promise.all(claims.map((c) => complete(d, c)));
    expect(settled.map((t) => t?.status)).toEqual(taskIds.map(() => 'completed'));
    expect(counting.transactions()).toBeLessThan(10);
    expect([...(await charges(taskIds)).values()]).toEqual(taskIds.map(() => 1));
    const { rows } = await h.system.db.query<{ balance: number; frozen_balance: number }>('SELECT balance, frozen_balance FROM user_credits WHERE user_id = $1', [userId]);
    expect(rows[0]).toEqual({ balance: 0, frozen_balance: 0 });
    await expectAuditClean(h.system.db);
  });

  it('a batch queues one ready e-mail per completed task in one insert, and none twice for a task settled again', async () => {
    const { taskIds } = await processingTasks(25);
    const inserts: number[] = [];
    const emails = completionEmails('all', 5);
    const d: TaskDeps = { ...deps, db: countingDb(h.system.db).db, onSettled: (tx, settled) => (inserts.push(settled.length), emails(tx, settled)) };
    const claims = await claimAll(taskIds, d);
    const settled = await Promise.all(claims.map((c) => complete(d, c)));
    expect(settled.every((t) => t?.status === 'completed')).toBe(true);
    expect(inserts.reduce((a, b) => a + b, 0)).toBe(25);
    expect(inserts.length).toBeLessThan(10);
    const queued = async () => {
      const { rows } = await h.system.db.query<{ task_id: string }>(
        `SELECT payload->>'taskId' AS task_id FROM notification_outbox WHERE kind = 'task_ready' AND payload->>'taskId' = ANY($1)`,
        [taskIds],
      );
      return rows.map((r) => r.task_id).sort();
    };
    expect(await queued()).toEqual([...taskIds].sort());
    await h.system.db.transaction((tx) => emails(tx, settled.map((task) => ({ task: task!, path: 'worker' as const }))));
    expect(await queued()).toEqual([...taskIds].sort());
  });

  it('a stale lease in a batch settles nothing for its task; the others settle, and the new holder charges it once', async () => {
    const { taskIds } = await processingTasks(10);
    const claims = await claimAll(taskIds);
    const stolen = claims[3]!;
    await h.system.db.query(`UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [stolen.task.id]);
    const takeover = newLease(deps);
    expect(await claimTask(deps.db, stolen.task.id, takeover, deps.leaseMs)).not.toBeNull();

    const settled = await Promise.all(claims.map((c) => complete(deps, c)));
    expect(settled.filter((t) => t === null)).toHaveLength(1);
    expect(settled[3]).toBeNull();
    expect((await charges(taskIds)).has(stolen.task.id)).toBe(false);

    expect((await complete(deps, { task: stolen.task, lease: takeover }))?.status).toBe('completed');
    expect([...(await charges(taskIds)).values()]).toEqual(taskIds.map(() => 1));
    await expectAuditClean(h.system.db);
  });

  it('a hold that is not open fails only its own task; the rest of the batch still settles', async () => {
    const { taskIds } = await processingTasks(8);
    const claims = await claimAll(taskIds);
    const broken = claims[5]!;
    await h.system.db.transaction((tx) => captureHold(tx, broken.task.id));

    const results = await Promise.allSettled(claims.map((c) => complete(deps, c)));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(results[5]!.status).toBe('rejected');
    expect(rejected[0]!.reason).toBeInstanceOf(SettlementConflictError);
    const others = taskIds.filter((id) => id !== broken.task.id);
    expect(await statuses(others)).toEqual(others.map(() => 'completed'));
    expect(await statuses([broken.task.id])).toEqual(['processing']);
    expect([...(await charges(taskIds)).values()]).toEqual(taskIds.map(() => 1));
  });

  it('two processes completing the same 30 tasks at once, one with stale leases: each task charged exactly once', async () => {
    const { taskIds } = await processingTasks(30);
    const staleClaims = await claimAll(taskIds);
    await h.system.db.query(`UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [taskIds]);
    const other = secondProcess(h);
    const otherDeps = { ...deps, db: other };
    try {
      const freshClaims = await claimAll(taskIds, otherDeps);
      const [stale, fresh] = await Promise.all([
        Promise.all(staleClaims.map((c) => complete(deps, c))),
        Promise.all(freshClaims.map((c) => complete(otherDeps, c))),
      ]);
      expect(stale.every((t) => t === null)).toBe(true);
      expect(fresh.every((t) => t?.status === 'completed')).toBe(true);
    } finally {
      if (other !== h.system.db && h.database.url) await other.close();
    }
    expect([...(await charges(taskIds)).values()]).toEqual(taskIds.map(() => 1));
  });
});
