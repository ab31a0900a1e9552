import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Provider } from '../../src/providers/index.js';
import { startWorker, type WorkerOptions } from '../../src/recovery/index.js';
import { cancelTask, clusterDispatchSlots, type TaskDeps, type TaskRow } from '../../src/tasks/index.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';
import { expectEachTaskSettledOnce, submitVideo, taskRow } from './helpers.js';
import { startRecoverySystem, type RecoverySystem } from './system.js';

const POLL_MIN_MS = 250;
const POLL_MAX_MS = 2000;

/** Deps whose provider calls go through `wrap`, to count or hold them. */
function withProvider(deps: TaskDeps, wrap: (real: Provider) => Partial<Provider>): TaskDeps {
  return {
    ...deps,
    providers: {
      get(name) {
        const real = deps.providers.get(name);
        return {
          name: real.name,
          submit: (r) => real.submit(r),
          status: (id) => real.status(id),
          parseCallback: (b, q) => real.parseCallback(b, q),
          download: (u) => real.download(u),
          ...wrap(real),
        };
      },
    },
  };
}

describe('worker', () => {
  let r: RecoverySystem;
  let deps: TaskDeps;

  beforeAll(async () => {
    r = await startRecoverySystem({
      sim: { durationMs: [1000, 3000], resultBytes: 1024 },
      env: { WORKER_POLL_MIN_MS: String(POLL_MIN_MS), WORKER_POLL_MAX_MS: String(POLL_MAX_MS) },
    });
    deps = r.system.tasks;
  });
  beforeEach(async () => {
    r.sim.setFaults({ transientErrorRate: 0, rateLimit: null, hangRate: 0 });
    const { rows } = await r.system.db.query<{ id: string }>(`SELECT id FROM tasks WHERE status IN ('pending', 'processing')`);
    for (const row of rows) await cancelTask(deps, row.id, 'admin');
  });
  afterAll(() => r.close());

  /** Tasks the provider refused for now at submission: pending, and due for the worker right away. */
  const duePendingTasks = async (n: number): Promise<TaskRow[]> => {
    r.sim.setFaults({ transientErrorRate: 1 });
    const tasks: TaskRow[] = [];
    try {
      for (let i = 0; i < n; i++) tasks.push(await submitVideo(deps, r.userId));
    } finally {
      r.sim.setFaults({ transientErrorRate: 0 });
    }
    await r.system.db.query(`UPDATE tasks SET next_check_at = now() WHERE status = 'pending'`);
    return tasks;
  };

  const runWorkerUntilCompleted = async (tasks: TaskRow[], options: WorkerOptions): Promise<void> => {
    const worker = startWorker(deps, options);
    try {
      await waitFor('every task to complete', async () => {
        const { rows } = await r.system.db.query(`SELECT 1 FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'completed'`, [tasks.map((t) => t.id)]);
        return rows.length === tasks.length;
      }, 15_000);
    } finally {
      await worker.stop();
    }
  };

  it('settles a finished task within WORKER_POLL_MAX_MS + 1 s with callbacks lost and nobody polling', async () => {
    const tasks: TaskRow[] = [];
    for (let i = 0; i < 6; i++) tasks.push(await submitVideo(deps, r.userId));
    expect(tasks.every((t) => t.status === 'processing')).toBe(true);
    await runWorkerUntilCompleted(tasks, { concurrency: 4 });
    for (const t of tasks) {
      const row = await taskRow(r.system.db, t.id);
      expect(row.settled_by).toBe('worker');
      const lagMs = row.completed_at!.getTime() - row.provider_completed_at!.getTime();
      expect(lagMs).toBeGreaterThanOrEqual(0);
      expect(lagMs).toBeLessThanOrEqual(POLL_MAX_MS + 1000);
    }
    expect(r.sim.stats().callbacksSent).toBe(0);
    await expectEachTaskSettledOnce(r.system.db);
    await expectAuditClean(r.system.db);
  });

  it('dispatches pending tasks within its rate limit: never more than max in any window', async () => {
    const tasks = await duePendingTasks(9);
    const sent: number[] = [];
    // Recorded below the limiter, as the request leaves for the provider.
    const recording = withProvider(deps, (real) => ({
      submit: (request) => {
        sent.push(Date.now());
        return real.submit(request);
      },
    }));
    const worker = startWorker({ ...recording, dispatchSlots: clusterDispatchSlots(r.system.db, { max: 3, windowMs: 600 }) }, { concurrency: 5 });
    try {
      await waitFor('every pending task to be dispatched', async () => {
        const { rows } = await r.system.db.query(`SELECT 1 FROM tasks WHERE id = ANY($1::uuid[]) AND status <> 'pending'`, [tasks.map((t) => t.id)]);
        return rows.length === tasks.length;
      }, 15_000);
    } finally {
      await worker.stop();
    }
    expect(sent).toHaveLength(9);
    // Slack only for the event loop between taking a slot and sending; without the limit all nine leave at once.
    for (let i = 0; i + 3 < sent.length; i++) expect(sent[i + 3]! - sent[i]!).toBeGreaterThanOrEqual(600 - 50);
  });

  it('backs off after the provider answers 429 instead of hammering it', async () => {
    r.sim.setFaults({ rateLimit: { max: 2, windowMs: 1000 } });
    const before = r.sim.stats().rejectedRateLimited;
    const tasks = await duePendingTasks(6);
    const worker = startWorker(deps, { concurrency: 1 });
    try {
      await waitFor('every pending task to be dispatched', async () => {
        const { rows } = await r.system.db.query(`SELECT 1 FROM tasks WHERE id = ANY($1::uuid[]) AND status <> 'pending'`, [tasks.map((t) => t.id)]);
        return rows.length === tasks.length;
      }, 15_000);
    } finally {
      await worker.stop();
    }
    // Six tasks at two per second need about three windows; a worker retrying at once would be refused
    // every time a task came up during a full window, several times per window.
    expect(r.sim.stats().rejectedRateLimited - before).toBeLessThanOrEqual(3);
  });

  it('stop() gives back claimed tasks not yet started, and waits for the one in flight', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let submits = 0;
    const holding = withProvider(deps, (real) => ({
      submit: async (request) => {
        submits++;
        await held;
        return real.submit(request);
      },
    }));
    const tasks = await duePendingTasks(4);
    const worker = startWorker(holding, { concurrency: 1, prefetch: 3 });
    await waitFor('the first dispatch to be in flight', async () => submits === 1);
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await waitFor('the waiting tasks to be given back', async () => {
      const { rows } = await r.system.db.query(`SELECT 1 FROM tasks WHERE id = ANY($1::uuid[]) AND lease_owner IS NULL`, [tasks.map((t) => t.id)]);
      return rows.length === 3;
    });
    expect(stopped).toBe(false);
    release();
    await stopping;
    const { rows } = await r.system.db.query<{ status: string }>(`SELECT status FROM tasks WHERE id = ANY($1::uuid[]) ORDER BY status`, [tasks.map((t) => t.id)]);
    expect(rows.map((row) => row.status)).toEqual(['pending', 'pending', 'pending', 'processing']);
    expect(submits).toBe(1);
  });

  it('a prefetched task whose lease ran out while it waited is sent once: by the worker that claimed it next', async () => {
    const sent = new Map<string, number>();
    let inFlightAtA: string | undefined;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const counting = (holds: boolean) => (real: Provider): Partial<Provider> => ({
      submit: async (request) => {
        if (holds) {
          inFlightAtA ??= request.taskId;
          await held;
        }
        sent.set(request.taskId, (sent.get(request.taskId) ?? 0) + 1);
        return real.submit(request);
      },
    });
    const tasks = await duePendingTasks(2);
    const ids = tasks.map((t) => t.id);
    // Worker A holds both tasks under a 300 ms lease: one in flight (its createTask held), one waiting behind it.
    // Its dispatch slots count its sends' attempts: the second is the waiting task's, on its stale claim.
    let attemptsOfA = 0;
    const slotsOfA = { limited: deps.dispatchSlots.limited, take: (provider: string) => (attemptsOfA++, deps.dispatchSlots.take(provider)) };
    const a = startWorker(withProvider({ ...deps, leaseMs: 300, dispatchSlots: slotsOfA }, counting(true)), { concurrency: 1, prefetch: 1 });
    await waitFor('worker A to hold both tasks, one in flight', async () => {
      const { rows } = await r.system.db.query(`SELECT 1 FROM tasks WHERE id = ANY($1::uuid[]) AND lease_owner IS NOT NULL`, [ids]);
      return rows.length === 2 && inFlightAtA !== undefined;
    });
    const waiting = ids.find((id) => id !== inFlightAtA)!;
    // Worker B claims the waiting task once A's lease on it has run out, and sends it.
    const b = startWorker(withProvider(deps, counting(false)), { concurrency: 1, prefetch: 0 });
    try {
      await waitFor('worker B to send the waiting task', async () => (await taskRow(r.system.db, waiting)).status === 'processing');
      release();
      await waitFor('worker A to try the waiting task on its stale claim', async () => attemptsOfA === 2);
    } finally {
      release();
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(sent.get(waiting)).toBe(1);
    expect(sent.get(inFlightAtA!)).toBe(1);
    await expectAuditClean(r.system.db);
  });

  it('a full worker claims again as soon as a slot frees, not after its idle pause', async () => {
    const tasks: TaskRow[] = [];
    for (let i = 0; i < 12; i++) tasks.push(await submitVideo(deps, r.userId));
    for (const t of tasks) r.sim.finish(t.provider_task_id!, 'success');
    await r.system.db.query(`UPDATE tasks SET next_check_at = now() WHERE id = ANY($1::uuid[])`, [tasks.map((t) => t.id)]);
    // Twelve tasks through room for four at a time: three refills. A worker that waited out its 2 s idle pause
    // each time it had filled up would need at least 4 s.
    const started = performance.now();
    await runWorkerUntilCompleted(tasks, { concurrency: 2, prefetch: 2, idleMs: 2000 });
    expect(performance.now() - started).toBeLessThan(2000);
    await expectEachTaskSettledOnce(r.system.db);
  });

  it('a task whose advance throws is isolated: the others settle, and it is tried again when its lease expires', async () => {
    const [broken, ...fine] = [await submitVideo(deps, r.userId), await submitVideo(deps, r.userId), await submitVideo(deps, r.userId)];
    for (const t of [broken!, ...fine]) r.sim.finish(t.provider_task_id!, 'success');
    let brokenChecks = 0;
    const faulty = withProvider({ ...deps, leaseMs: 300 }, (real) => ({
      status: async (id) => {
        if (id !== broken!.provider_task_id) return real.status(id);
        brokenChecks++;
        throw new Error('a bug, not a provider answer');
      },
    }));
    await r.system.db.query(`UPDATE tasks SET next_check_at = now() WHERE status = 'processing'`);
    const worker = startWorker(faulty, { concurrency: 2 });
    try {
      await waitFor('the healthy tasks to complete and the broken one to be retried', async () => {
        const { rows } = await r.system.db.query(`SELECT 1 FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'completed'`, [fine.map((t) => t.id)]);
        return rows.length === fine.length && brokenChecks >= 2;
      });
    } finally {
      await worker.stop();
    }
    expect(await taskRow(r.system.db, broken!.id)).toMatchObject({ status: 'processing' });
    await expectAuditClean(r.system.db);
  });
});
