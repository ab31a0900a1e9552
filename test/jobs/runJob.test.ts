import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobAlreadyRunningError, listRuns, runStats, type JobRunnerDeps } from '../../src/jobs/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { jobRunner, runAdHoc } from '../helpers/jobs.js';
import { waitFor } from '../helpers/net.js';

interface Row {
  status: string;
  trigger: string;
  owner: string;
  results: Record<string, unknown> | null;
  found: number | null;
  completed: number | null;
  error_message: string | null;
  duration: number | null;
  completed_at: Date | null;
  heartbeat_at: Date;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('run history: runJob', () => {
  let t: TestDatabase;
  let deps: JobRunnerDeps;
  const row = async (id: string): Promise<Row> =>
    (await t.db.query<Row>('SELECT * FROM cron_job_executions WHERE id = $1', [id])).rows[0]!;

  beforeAll(async () => {
    t = await createTestDatabase();
    deps = jobRunner(t.db, 'test-host:1');
  });
  beforeEach(async () => {
    await t.db.query('DELETE FROM cron_schedule_ticks');
    await t.db.query('DELETE FROM cron_job_executions');
  });
  afterAll(() => t.drop());

  it("records 'running' while the job runs, then 'completed' with its results and duration", async () => {
    let during: Row | undefined;
    const run = await runAdHoc(deps, 'process-stuck-tasks', 'cli', async () => {
      const [current] = (await listRuns(t.db, { limit: 1 })).runs;
      during = await row(current!.id);
      return { summary: { found: 2, completed: 2 } };
    });
    expect(during).toMatchObject({ status: 'running', trigger: 'cli', owner: 'test-host:1', completed_at: null, found: null });
    expect(run).toMatchObject({ status: 'completed', trigger: 'cli', results: { summary: { found: 2, completed: 2 } } });
    const done = await row(run.executionId);
    expect(done).toMatchObject({ status: 'completed', results: { summary: { found: 2, completed: 2 } }, found: 2, completed: 2, error_message: null });
    expect(done.duration).toBeGreaterThanOrEqual(0);
    expect(done.completed_at).toBeInstanceOf(Date);
  });

  it("records a failing job as 'failed' with its error message, and returns rather than throws", async () => {
    const run = await runAdHoc(deps, 'cleanup-jobs', 'admin', async () => {
      throw new Error('database went away');
    });
    expect(run).toMatchObject({ status: 'failed', error: 'database went away' });
    expect(await row(run.executionId)).toMatchObject({ status: 'failed', error_message: 'database went away', trigger: 'admin' });
  });

  it('never overlaps runs of one job: a second start is refused until the first has finished', async () => {
    const gate = deferred();
    const first = runAdHoc(deps, 'process-stuck-tasks', 'cron', () => gate.promise.then(() => ({ totalFound: 0 })));
    await waitFor('the first run to start', async () => (await listRuns(t.db, { limit: 1 })).runs.length === 1);
    await expect(runAdHoc(deps, 'process-stuck-tasks', 'http', async () => ({}))).rejects.toBeInstanceOf(JobAlreadyRunningError);
    // Another job is independent.
    expect((await runAdHoc(deps, 'cleanup-jobs', 'http', async () => ({}))).status).toBe('completed');
    gate.resolve();
    expect((await first).status).toBe('completed');
    expect((await runAdHoc(deps, 'process-stuck-tasks', 'http', async () => ({}))).status).toBe('completed');
    const running = await t.db.query(`SELECT 1 FROM cron_job_executions WHERE status = 'running'`);
    expect(running.rowCount).toBe(0);
  });

  it('takes over a run abandoned by a dead process (stale heartbeat) and marks it failed', async () => {
    await t.db.query(
      `INSERT INTO cron_job_executions (id, job_name, status, trigger, owner, started_at, heartbeat_at)
       VALUES ('00000000-0000-4000-8000-00000000dead', 'process-stuck-tasks', 'running', 'cron', 'dead-host:9',
               now() - interval '10 minutes', now() - interval '9 minutes')`,
    );
    const run = await runAdHoc(deps, 'process-stuck-tasks', 'cron', async () => ({ totalFound: 0 }), { staleAfterMs: 60_000 });
    expect(run.status).toBe('completed');
    const dead = await row('00000000-0000-4000-8000-00000000dead');
    expect(dead.status).toBe('failed');
    expect(dead.error_message).toMatch(/^Abandoned: dead-host:9 stopped sending heartbeats/);
  });

  it('keeps a live run alive with heartbeats, so it is never taken over', async () => {
    const gate = deferred();
    const running = runAdHoc(deps, 'cleanup-jobs', 'cron', () => gate.promise.then(() => ({})), { heartbeatMs: 20 });
    const [started] = await waitFor('the run to start', async () => listRuns(t.db, { limit: 1 }).then(({ runs }) => (runs.length ? runs : undefined)));
    const firstBeat = (await row(started!.id)).heartbeat_at.getTime();
    await waitFor('a heartbeat', async () => (await row(started!.id)).heartbeat_at.getTime() > firstBeat);
    await expect(runAdHoc(deps, 'cleanup-jobs', 'cron', async () => ({}), { staleAfterMs: 5_000 })).rejects.toBeInstanceOf(JobAlreadyRunningError);
    gate.resolve();
    await running;
  });

  it('runs the finished-run hook in the recording transaction; a failing hook does not leave the run running', async () => {
    const seen: string[] = [];
    const recording = jobRunner(t.db, 'test-host:1', async (tx, run) => {
      const inTx = await tx.query<{ status: string }>('SELECT status FROM cron_job_executions WHERE id = $1', [run.executionId]);
      seen.push(`${run.jobName}:${run.status}:${inTx.rows[0]!.status}:${run.summary.failed}`);
    });
    const ok = await runAdHoc(recording, 'cleanup-jobs', 'cli', async () => ({ summary: { failed: 1 } }));
    expect(seen).toEqual(['cleanup-jobs:completed:completed:1']);
    expect((await row(ok.executionId)).status).toBe('completed');
    const failingHook = jobRunner(t.db, 'test-host:1', async () => {
      throw new Error('alert queue unavailable');
    });
    const broken = await runAdHoc(failingHook, 'cleanup-jobs', 'cli', async () => ({}));
    expect((await row(broken.executionId)).status).toBe('completed');
  });

  it('records each run\'s summary and computes statistics from the summaries as documented', async () => {
    const first = await runAdHoc(deps, 'process-stuck-tasks', 'cron', async () => ({
      summary: { found: 6, completed: 2, retried: 1, redispatched: 1, lateResults: 1, failed: 1, errors: 2 },
    }));
    expect(await row(first.executionId)).toMatchObject({ found: 6, completed: 2, retried: 1, redispatched: 1, late_results: 1, failed: 1, errors: 2 });
    await runAdHoc(deps, 'cleanup-jobs', 'cron', async () => ({ summary: { found: 2, failed: 2 } }));
    await runAdHoc(deps, 'process-stuck-tasks', 'cron', async () => {
      throw new Error('boom');
    });
    const stats = await runStats(t.db);
    expect(stats).toMatchObject({
      totalExecutions: 3,
      successRate: 2 / 3,
      tasksRecovered: 2, // completed by recovery; retries and re-dispatches are counted apart
      tasksRetried: 1,
      tasksRedispatched: 1,
      lateResults: 1,
      tasksFailed: 3, // failed by the reconciler + timed out by the cleanup
      errorRate: 2 / 8, // errors / tasks found
    });
    expect(stats.avgDurationMs).toBeGreaterThanOrEqual(0);
    await t.db.query('DELETE FROM cron_job_executions');
    expect(await runStats(t.db)).toMatchObject({ totalExecutions: 0, successRate: null, avgDurationMs: null, errorRate: null });
  });
});
