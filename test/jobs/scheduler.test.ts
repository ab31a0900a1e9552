import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { runJob, scheduleJobs, startScheduler, type ScheduledJob, type SchedulerDeps } from '../../src/jobs/index.js';
import { processStuckTasks, RECOVERY_JOBS } from '../../src/recovery/index.js';
import type { TaskDeps } from '../../src/tasks/index.js';
import { jobRunner, runAdHoc } from '../helpers/jobs.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';
import { recordingLogger, sharedTicks } from '../helpers/ticks.js';
import { age, expectEachTaskSettledOnce, submitVideo } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

const JOB = 'process-stuck-tasks';
const NEVER = '0 0 1 1 *'; // the timer never fires during a test; ticks are fired by hand

describe('scheduler: one run per tick across instances, never overlapping', () => {
  let r: RecoverySystem;
  let otherDb: Db;

  beforeAll(async () => {
    r = await startRecoverySystem();
    otherDb = r.secondDb();
  });
  beforeEach(async () => {
    await r.system.db.query('DELETE FROM cron_schedule_ticks');
    await r.system.db.query('DELETE FROM cron_job_executions');
  });
  afterAll(() => r.close());

  /** One Settle instance: its own connection pool (on PostgreSQL) and instance id. */
  const instance = (name: string, db: Db, pattern = NEVER) => {
    const deps: TaskDeps = { ...r.system.tasks, db, instanceId: name };
    const schedulerDeps: SchedulerDeps = { db, logger: r.system.logger, instanceId: name };
    const config = { ...r.system.config, stuckAfterMs: 10 * 60_000, batchSize: 5, reconcileBudgetMs: 0 };
    const runner = { ...schedulerDeps, config };
    const job: ScheduledJob = { name: JOB, pattern, run: (tickAt) => runJob(runner, processStuckTasks, deps, 'cron', { scheduledFor: tickAt }) };
    return startScheduler(schedulerDeps, [job]);
  };

  it('two instances firing the same ticks: one execution row per tick, and every task settled once', async () => {
    const tasks = [];
    for (let i = 0; i < 12; i++) tasks.push(await submitVideo(r.system.tasks, r.userId));
    for (const t of tasks) {
      r.sim.finish(t.provider_task_id!, 'success');
      await age(r.system.db, t.id, { processingMinutes: 20 });
    }
    const a = instance('instance-a', r.system.db);
    const b = instance('instance-b', otherDb);
    const base = Math.floor(Date.now() / 1000) * 1000;
    try {
      for (let i = 0; i < 3; i++) {
        const tick = new Date(base + i * 1000);
        const outcomes = await Promise.all([a.fire(JOB, tick), b.fire(JOB, tick)]);
        expect(outcomes.sort()).toEqual(['claimed_elsewhere', 'ran']);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const perTick = await r.system.db.query<{ scheduled_for: Date; runs: number; completed: number }>(
      `SELECT scheduled_for, count(*)::integer AS runs, sum((results->>'completed')::integer)::integer AS completed
         FROM cron_job_executions GROUP BY scheduled_for ORDER BY scheduled_for`,
    );
    expect(perTick.rows.map((row) => [row.scheduled_for.getTime() - base, row.runs, row.completed])).toEqual([
      [0, 1, 5],
      [1000, 1, 5],
      [2000, 1, 2],
    ]);
    const ticks = await r.system.db.query(`SELECT outcome FROM cron_schedule_ticks WHERE outcome = 'ran'`);
    expect(ticks.rowCount).toBe(3);
    const completed = await r.system.db.query(`SELECT 1 FROM tasks WHERE status = 'completed' AND settled_by = 'reconciler'`);
    expect(completed.rowCount).toBe(12);
    await expectEachTaskSettledOnce(r.system.db);
    await expectAuditClean(r.system.db);
  });

  it('a tick that comes while the previous run of the job still runs is skipped, not overlapped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowJob = (name: string, db: Db): ScheduledJob => ({
      name: 'slow-job',
      pattern: NEVER,
      run: (tickAt) => runAdHoc(jobRunner(db, name), 'slow-job', 'cron', () => gate, { scheduledFor: tickAt }),
    });
    const a = startScheduler({ db: r.system.db, logger: r.system.logger, instanceId: 'a' }, [slowJob('a', r.system.db)]);
    const b = startScheduler({ db: otherDb, logger: r.system.logger, instanceId: 'b' }, [slowJob('b', otherDb)]);
    const tick = Math.floor(Date.now() / 60_000) * 60_000;
    try {
      const first = a.fire('slow-job', new Date(tick));
      await waitFor('the first run to be running', async () => (await r.system.db.query(`SELECT 1 FROM cron_job_executions WHERE status = 'running'`)).rowCount === 1);
      expect(await b.fire('slow-job', new Date(tick + 60_000))).toBe('overlap');
      release();
      expect(await first).toBe('ran');
      const ticks = await r.system.db.query<{ outcome: string }>(`SELECT outcome FROM cron_schedule_ticks ORDER BY tick_at`);
      expect(ticks.rows.map((t) => t.outcome)).toEqual(['ran', 'overlap']);
      expect((await r.system.db.query('SELECT 1 FROM cron_job_executions')).rowCount).toBe(1);
    } finally {
      release();
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stopping asks a run in progress to wrap up (a long reconciler run), then waits for it', async () => {
    let stopping: AbortSignal | undefined;
    const longJob: ScheduledJob = {
      name: 'long-job',
      pattern: NEVER,
      run: (tickAt, signal) =>
        runAdHoc(jobRunner(r.system.db, 'a'), 'long-job', 'cron', async () => {
          stopping = signal;
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          return { wrappedUp: true };
        }, { scheduledFor: tickAt }),
    };
    const scheduler = startScheduler({ db: r.system.db, logger: r.system.logger, instanceId: 'a' }, [longJob]);
    const firing = scheduler.fire('long-job', new Date(Math.floor(Date.now() / 60_000) * 60_000));
    await waitFor('the run to be running', async () => stopping !== undefined);
    expect(stopping!.aborted).toBe(false);
    await scheduler.stop();
    expect(stopping!.aborted).toBe(true);
    expect(await firing).toBe('ran');
  });

  it('croner fires every instance on each tick; exactly one of them runs it', async () => {
    const a = recordingLogger();
    const b = recordingLogger();
    const every = '* * * * * *';
    const quick = (name: string, db: Db): ScheduledJob => ({
      name: 'quick-job',
      pattern: every,
      run: (tickAt) => runAdHoc(jobRunner(db, name), 'quick-job', 'cron', async () => ({}), { scheduledFor: tickAt }),
    });
    const sa = startScheduler({ db: r.system.db, logger: a.logger, instanceId: 'a' }, [quick('a', r.system.db)]);
    const sb = startScheduler({ db: otherDb, logger: b.logger, instanceId: 'b' }, [quick('b', otherDb)]);
    try {
      await waitFor('two ticks fired by both instances', async () => sharedTicks(a.ticks('quick-job'), b.ticks('quick-job')).length >= 2, 10_000);
    } finally {
      await Promise.all([sa.stop(), sb.stop()]);
    }
    for (const [tick, inA, inB] of sharedTicks(a.ticks('quick-job'), b.ticks('quick-job'))) {
      expect(new Date(tick).getMilliseconds()).toBe(0);
      // One instance claims the tick and runs it (or skips it, when its previous run is still going); the other
      // finds it claimed.
      const outcomes = [inA, inB];
      expect(outcomes.filter((o) => o === 'claimed_elsewhere'), tick).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'ran' || o === 'overlap'), tick).toHaveLength(1);
    }
    const dupes = await r.system.db.query(`SELECT scheduled_for FROM cron_job_executions GROUP BY scheduled_for HAVING count(*) > 1`);
    expect(dupes.rowCount).toBe(0);
  });

  it('a bad schedule fails with one line naming its variable; "off" schedules nothing', () => {
    const runner = (config: typeof r.system.config) => ({ ...r.system.jobRunner, config });
    const bad = runner({ ...r.system.config, reconcileCron: 'every ten minutes' });
    expect(() => scheduleJobs(bad, RECOVERY_JOBS, r.system.tasks)).toThrow(ConfigError);
    expect(() => scheduleJobs(bad, RECOVERY_JOBS, r.system.tasks)).toThrow(/^Invalid configuration: RECONCILE_CRON: /);
    const off = scheduleJobs(runner({ ...r.system.config, reconcileCron: 'off', cleanupCron: 'off' }), RECOVERY_JOBS, r.system.tasks);
    return expect(off.fire(JOB, new Date())).rejects.toThrow(/No scheduled job named/);
  });
});
