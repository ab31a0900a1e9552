import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { usingPostgres } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { firstTakenAfter, sharedTicks } from '../helpers/ticks.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

const JOB = 'process-stuck-tasks';

describe.skipIf(!usingPostgres())('a paused schedule across two `settle worker` processes on one PostgreSQL', () => {
  let r: RecoverySystem | undefined;
  const workers: ChildProcess[] = [];
  const storage = mkdtempSync(join(tmpdir(), 'settle-pause-'));
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await r?.close();
    rmSync(storage, { recursive: true, force: true });
  });

  it('pause (CLI) -> no run across two ticks on either process; survives a restart of both; manual run recorded as cli; resume -> the next tick runs', async () => {
    r = await startRecoverySystem();
    const db = r.system.db;
    const env = {
      DATABASE_URL: r.database.url!,
      KIE_BASE_URL: r.sim.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      KIE_API_KEY: 'test-key',
      STORAGE_DIR: storage,
      RECONCILE_CRON: '* * * * * *',
      CLEANUP_CRON: 'off',
      LOG_LEVEL: 'info',
    };
    const cronRunsAfter = async (since: number) =>
      (await db.query(`SELECT 1 FROM cron_job_executions WHERE job_name = $1 AND trigger = 'cron' AND scheduled_for > $2`, [JOB, new Date(since)])).rowCount;
    const start = () => {
      const w = startWorkerProcess(env);
      workers.push(w.child);
      return w;
    };
    const stop = async (...ws: WorkerProcess[]) => {
      for (const w of ws) w.child.kill('SIGTERM');
      for (const w of ws) expect(await w.exited, w.stderr()).toBe(0);
    };

    let a = start();
    let b = start();
    await waitFor('the schedule to run while not paused', async () => (await cronRunsAfter(0)) >= 2, 30_000);

    const paused = await runCli(['schedules', 'pause', JOB, '--reason', 'incident 42', '--json'], env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ changed: true, schedule: { job: JOB, paused: true, reason: 'incident 42' } });
    const pausedFrom = Date.now();
    await waitFor('two ticks after the pause fired by both processes', async () => sharedTicks(a.ticks(), b.ticks(), pausedFrom).length >= 2, 30_000);
    for (const [tick, inA, inB] of sharedTicks(a.ticks(), b.ticks(), pausedFrom)) expect([inA, inB].sort(), tick).toEqual(['claimed_elsewhere', 'paused']);
    expect(await cronRunsAfter(pausedFrom)).toBe(0);

    // Both processes stop (SIGTERM, exit 0) and start again: the pause is in the database, so it holds.
    await stop(a, b);
    const restartedFrom = Date.now();
    a = start();
    b = start();
    await waitFor('two ticks after the restart fired by both processes', async () => sharedTicks(a.ticks(), b.ticks(), restartedFrom).length >= 2, 30_000);
    for (const [tick, inA, inB] of sharedTicks(a.ticks(), b.ticks(), restartedFrom)) expect([inA, inB].sort(), tick).toEqual(['claimed_elsewhere', 'paused']);
    expect(await cronRunsAfter(pausedFrom)).toBe(0);

    // A manual run while paused works and is recorded as one (trigger cli).
    const manual = await runCli(['reconcile', '--json'], env);
    expect(manual.code, manual.stderr).toBe(0);
    const executionId = JSON.parse(manual.stdout).executionId as string;
    const row = await db.query(`SELECT trigger, status FROM cron_job_executions WHERE id = $1`, [executionId]);
    expect(row.rows[0]).toEqual({ trigger: 'cli', status: 'completed' });

    const listed = await runCli(['schedules', 'list', '--json'], env);
    const schedule = (JSON.parse(listed.stdout).schedules as { job: string }[]).find((s) => s.job === JOB);
    expect(schedule).toMatchObject({ paused: true, nextRun: null, lastRun: { executionId, trigger: 'cli', manual: true } });

    const resumed = await runCli(['schedules', 'resume', JOB], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`${JOB} is resumed`);
    const resumedAt = Date.now();
    await waitFor('a tick after the resume to run', async () => (await cronRunsAfter(resumedAt)) >= 1, 15_000);
    await stop(a, b);
    expect(firstTakenAfter(resumedAt, a.ticks(), b.ticks())?.[1]).toBe('ran');
  }, 120_000);
});

if (!usingPostgres()) {
  console.log('pauseProcesses: two worker processes need a shared PostgreSQL; set TEST_DATABASE_URL to run it (the in-process version is test/scheduler/pause.test.ts)');
}
