import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import {
  listSchedules,
  runJob,
  setSchedulePaused,
  startScheduler,
  UnknownJobError,
  type FinishedRunSummary,
  type ScheduledJob,
  type Scheduler,
} from '../../src/jobs/index.js';
import { raiseRunAlerts } from '../../src/notify/index.js';
import { processStuckTasks, RECOVERY_JOBS } from '../../src/recovery/index.js';
import type { TaskDeps } from '../../src/tasks/index.js';
import { adHocJob, jobRunner, runAdHoc } from '../helpers/jobs.js';
import { waitFor } from '../helpers/net.js';
import { firstTakenAfter, recordingLogger, sharedTicks } from '../helpers/ticks.js';
import { age, submitVideo } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

const JOB = 'process-stuck-tasks';
const EVERY_SECOND = '* * * * * *';
const NEVER = '0 0 1 1 *'; // ticks are fired by hand

describe('pausing a schedule: no instance runs it, it survives restarts, manual runs still work', () => {
  let r: RecoverySystem;
  let otherDb: Db;
  const running: Scheduler[] = [];

  beforeAll(async () => {
    r = await startRecoverySystem();
    otherDb = r.secondDb();
  });
  beforeEach(async () => {
    await r.system.db.query('DELETE FROM cron_schedule_ticks');
    await r.system.db.query('DELETE FROM cron_job_executions');
    await r.system.db.query('DELETE FROM cron_schedules');
  });
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await r.close();
  });

  /** One Settle instance's scheduler with the real reconciler: its own pool (PostgreSQL) and instance id. */
  const config = () => ({ ...r.system.config, stuckAfterMs: 10 * 60_000, batchSize: 5, reconcileBudgetMs: 0 });
  const instance = (name: string, db: Db, pattern: string, logger = r.system.logger) => {
    const deps: TaskDeps = { ...r.system.tasks, db, instanceId: name };
    const runner = { db, logger, instanceId: name, config: config() };
    const job: ScheduledJob = { name: JOB, pattern, run: (tickAt) => runJob(runner, processStuckTasks, deps, 'cron', { scheduledFor: tickAt }) };
    const scheduler = startScheduler({ db, logger, instanceId: name }, [job]);
    running.push(scheduler);
    return scheduler;
  };
  const pause = (paused: boolean, reason?: string) => setSchedulePaused(r.system.db, RECOVERY_JOBS, r.system.config, JOB, { paused, by: 'test (operator)', reason });
  const cronRunsAfter = async (since: number) =>
    (await r.system.db.query(`SELECT 1 FROM cron_job_executions WHERE job_name = $1 AND trigger = 'cron' AND scheduled_for > $2`, [JOB, new Date(since)])).rowCount;

  it('every second, two instances: paused -> no run across the ticks both fire; resumed -> the next tick runs; still paused after a restart', async () => {
    const a = recordingLogger();
    const b = recordingLogger();
    let sa = instance('instance-a', r.system.db, EVERY_SECOND, a.logger);
    let sb = instance('instance-b', otherDb, EVERY_SECOND, b.logger);
    await waitFor('both instances to run ticks while not paused', async () => (await cronRunsAfter(0)) >= 2, 15_000);

    expect((await pause(true, 'provider incident')).changed).toBe(true);
    const pausedFrom = Date.now();
    await waitFor('two ticks after the pause fired by both instances', async () => sharedTicks(a.ticks(), b.ticks(), pausedFrom).length >= 2, 15_000);
    for (const [tick, outcomeA, outcomeB] of sharedTicks(a.ticks(), b.ticks(), pausedFrom)) {
      // One instance records the tick as skipped, the other finds it taken; neither runs it.
      expect([outcomeA, outcomeB].sort(), tick).toEqual(['claimed_elsewhere', 'paused']);
    }
    expect(await cronRunsAfter(pausedFrom)).toBe(0);
    const skipped = (await listSchedules(r.system.db, RECOVERY_JOBS, r.system.config)).find((s) => s.job === JOB)!;
    expect(skipped).toMatchObject({ paused: true, pausedBy: 'test (operator)', reason: 'provider incident', nextRun: null });
    expect(skipped.skippedTicks).toBeGreaterThanOrEqual(2);

    // A restart of both instances: the switch is in the database, so they come back paused.
    await Promise.all([sa.stop(), sb.stop()]);
    const restartedFrom = Date.now();
    sa = instance('instance-a2', r.system.db, EVERY_SECOND, a.logger);
    sb = instance('instance-b2', otherDb, EVERY_SECOND, b.logger);
    await waitFor('two ticks after the restart fired by both instances', async () => sharedTicks(a.ticks(), b.ticks(), restartedFrom).length >= 2, 15_000);
    for (const [tick, outcomeA, outcomeB] of sharedTicks(a.ticks(), b.ticks(), restartedFrom)) {
      expect([outcomeA, outcomeB].sort(), tick).toEqual(['claimed_elsewhere', 'paused']);
    }
    expect(await cronRunsAfter(pausedFrom)).toBe(0);

    expect((await pause(false)).changed).toBe(true);
    const resumedAt = Date.now();
    // The first tick after the resume that an instance took (its log line comes when the run has finished).
    const taken = await waitFor('a tick after the resume to be taken', async () => firstTakenAfter(resumedAt, a.ticks(), b.ticks()), 10_000);
    expect(taken[1]).toBe('ran');
    expect(await cronRunsAfter(resumedAt)).toBeGreaterThanOrEqual(1);
    await Promise.all([sa.stop(), sb.stop()]);

    // Skipped ticks are on record (one row each, whoever claimed it); the run history has no row for them.
    const paused = await r.system.db.query(`SELECT 1 FROM cron_schedule_ticks WHERE outcome = 'paused' AND execution_id IS NULL`);
    expect(paused.rowCount).toBeGreaterThanOrEqual(4);
    const orphanRuns = await r.system.db.query(
      `SELECT 1 FROM cron_job_executions e JOIN cron_schedule_ticks t ON t.job_name = e.job_name AND t.tick_at = e.scheduled_for WHERE t.outcome = 'paused'`,
    );
    expect(orphanRuns.rowCount).toBe(0);
  }, 60_000);

  it('a pause committed before the tick claim is honoured by every instance; a tick claimed before the pause runs', async () => {
    const a = instance('a', r.system.db, NEVER);
    const b = instance('b', otherDb, NEVER);
    const base = Math.floor(Date.now() / 1000) * 1000;
    expect((await Promise.all([a.fire(JOB, new Date(base)), b.fire(JOB, new Date(base))])).sort()).toEqual(['claimed_elsewhere', 'ran']);
    await pause(true);
    for (let i = 1; i <= 3; i++) {
      const tick = new Date(base + i * 1000);
      expect((await Promise.all([a.fire(JOB, tick), b.fire(JOB, tick)])).sort()).toEqual(['claimed_elsewhere', 'paused']);
    }
    await pause(false);
    expect((await Promise.all([a.fire(JOB, new Date(base + 4000)), b.fire(JOB, new Date(base + 4000))])).sort()).toEqual(['claimed_elsewhere', 'ran']);
    const runs = await r.system.db.query<{ scheduled_for: Date }>(`SELECT scheduled_for FROM cron_job_executions ORDER BY scheduled_for`);
    expect(runs.rows.map((row) => row.scheduled_for.getTime() - base)).toEqual([0, 4000]);
    const ticks = await r.system.db.query<{ outcome: string }>(`SELECT outcome FROM cron_schedule_ticks ORDER BY tick_at`);
    expect(ticks.rows.map((t) => t.outcome)).toEqual(['ran', 'paused', 'paused', 'paused', 'ran']);
  });

  it('a run in progress when the pause arrives finishes and records itself; the next tick is skipped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: ScheduledJob = {
      name: JOB,
      pattern: NEVER,
      run: (tickAt) => runAdHoc(jobRunner(r.system.db, 'slow'), JOB, 'cron', async () => (await gate, {}), { scheduledFor: tickAt }),
    };
    const s = startScheduler({ db: r.system.db, logger: r.system.logger, instanceId: 'slow' }, [slow]);
    running.push(s);
    const base = Math.floor(Date.now() / 60_000) * 60_000;
    try {
      const first = s.fire(JOB, new Date(base));
      await waitFor('the run to be running', async () => (await r.system.db.query(`SELECT 1 FROM cron_job_executions WHERE status = 'running'`)).rowCount === 1);
      const paused = await pause(true);
      expect(paused.schedule.lastRun?.status).toBe('running');
      expect(paused.schedule.paused).toBe(true);
      release();
      expect(await first).toBe('ran');
      expect(await s.fire(JOB, new Date(base + 60_000))).toBe('paused');
    } finally {
      release();
      await s.stop();
    }
    const runs = await r.system.db.query<{ status: string }>(`SELECT status FROM cron_job_executions`);
    expect(runs.rows).toEqual([{ status: 'completed' }]);
  });

  it('manual runs still work while paused, recorded with their trigger, and raise no alerts; after resume alerts are back', async () => {
    const task = await submitVideo(r.system.tasks, r.userId);
    r.sim.finish(task.provider_task_id!, 'success');
    await age(r.system.db, task.id, { processingMinutes: 20 });
    await pause(true);

    const hookCalls: FinishedRunSummary[] = [];
    const recording = { ...jobRunner(r.system.db, 'manual', async (_tx, run: FinishedRunSummary) => void hookCalls.push(run)), config: config() };
    const manual = await runJob(recording, processStuckTasks, r.system.tasks, 'admin');
    expect(manual).toMatchObject({ status: 'completed', results: { completed: 1 } });
    const cli = await runJob(recording, processStuckTasks, r.system.tasks, 'cli');
    expect(cli.status).toBe('completed');
    const history = await r.system.db.query<{ id: string; trigger: string }>(`SELECT id, trigger FROM cron_job_executions ORDER BY started_at`);
    expect(history.rows).toEqual([
      { id: manual.executionId, trigger: 'admin' },
      { id: cli.executionId, trigger: 'cli' },
    ]);
    expect(hookCalls).toEqual([]);

    // A failing manual run of a paused job, with a real alert channel: nothing is queued.
    const alerts = { ...r.system.alerts, channels: ['slack' as const] };
    const alerting = jobRunner(r.system.db, 'manual', (tx, run) => raiseRunAlerts(tx, run, alerts));
    const broken = adHocJob(JOB, () => Promise.reject(new Error('provider down')));
    const failing = await runJob(alerting, broken, undefined, 'admin');
    expect(failing.status).toBe('failed');
    expect((await r.system.db.query(`SELECT 1 FROM notification_outbox WHERE kind = 'alert'`)).rowCount).toBe(0);

    await pause(false);
    const after = await runJob(alerting, broken, undefined, 'admin');
    expect(after.status).toBe('failed');
    expect((await r.system.db.query(`SELECT 1 FROM notification_outbox WHERE kind = 'alert'`)).rowCount).toBeGreaterThan(0);
    await r.system.db.query(`DELETE FROM notification_outbox`);
    await r.system.db.query(`DELETE FROM alert_state`);
  });

  it('pausing twice or resuming a running job changes nothing; an unknown job is refused and writes nothing', async () => {
    const first = await pause(true, 'first');
    const again = await setSchedulePaused(r.system.db, RECOVERY_JOBS, r.system.config, JOB, { paused: true, by: 'someone else', reason: 'second' });
    expect(again.changed).toBe(false);
    expect(again.schedule).toMatchObject({ paused: true, pausedBy: 'test (operator)', reason: 'first', pausedAt: first.schedule.pausedAt });
    const other = await setSchedulePaused(r.system.db, RECOVERY_JOBS, r.system.config, 'cleanup-jobs', { paused: false, by: 'x' });
    expect(other.changed).toBe(false);
    expect(other.schedule).toMatchObject({ paused: false, updatedAt: null });
    await expect(setSchedulePaused(r.system.db, RECOVERY_JOBS, r.system.config, 'no-such-job', { paused: true, by: 'x' })).rejects.toThrow(UnknownJobError);
    const rows = await r.system.db.query<{ job_name: string }>(`SELECT job_name FROM cron_schedules`);
    expect(rows.rows).toEqual([{ job_name: JOB }]);
  });
});
