import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { usingPostgres } from '../helpers/db.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';
import { startWorkerProcess } from '../helpers/workerProcess.js';
import { age, expectEachTaskSettledOnce, submitVideo } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

const TASKS = 24;

describe.skipIf(!usingPostgres())('two `settle worker` processes on one PostgreSQL', () => {
  let r: RecoverySystem | undefined;
  const workers: ChildProcess[] = [];
  const storage = mkdtempSync(join(tmpdir(), 'settle-workers-'));
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await r?.close();
    rmSync(storage, { recursive: true, force: true });
  });

  it('fire the same ticks: one execution row per tick, and every task settled once', async () => {
    r = await startRecoverySystem({ sim: { durationMs: [0, 0], lostCallbackRate: 1 } });
    for (let i = 0; i < TASKS; i++) {
      const task = await submitVideo(r.system.tasks, r.userId);
      await age(r.system.db, task.id, { processingMinutes: 20 }); // stuck; the worker loops never see it (not due)
    }
    const env = {
      DATABASE_URL: r.database.url!,
      KIE_BASE_URL: r.sim.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      KIE_API_KEY: 'test-key',
      STORAGE_DIR: storage,
      RECONCILE_CRON: '* * * * * *',
      CLEANUP_CRON: 'off',
      BATCH_SIZE: '10',
      LOG_LEVEL: 'info',
    };
    const a = startWorkerProcess(env);
    const b = startWorkerProcess(env);
    workers.push(a.child, b.child);

    await waitFor('every stuck task to be settled, and both processes to have fired four ticks in common', async () => {
      const { rows } = await r!.system.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM tasks WHERE status = 'completed'`);
      const ticksA = a.ticks();
      const shared = [...b.ticks().keys()].filter((tick) => ticksA.has(tick));
      return rows[0]!.n === TASKS && shared.length >= 4;
    }, 30_000);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited, a.stderr()).toBe(0);
    expect(await b.exited, b.stderr()).toBe(0);

    const ticksA = a.ticks();
    const ticksB = b.ticks();
    for (const [tick, outcome] of ticksB) {
      if (!ticksA.has(tick)) continue;
      // One process claims the tick and runs it (or skips it while its previous run still goes); the other finds
      // it claimed.
      const outcomes = [outcome, ticksA.get(tick)];
      expect(outcomes.filter((o) => o === 'claimed_elsewhere'), tick).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'ran' || o === 'overlap'), tick).toHaveLength(1);
    }
    const perTick = await r.system.db.query<{ runs: number }>(
      `SELECT count(*)::integer AS runs FROM cron_job_executions WHERE job_name = 'process-stuck-tasks' GROUP BY scheduled_for`,
    );
    expect(perTick.rows.length).toBeGreaterThanOrEqual(4);
    expect(perTick.rows.every((row) => row.runs === 1)).toBe(true);
    const ran = [...ticksA.values(), ...ticksB.values()].filter((o) => o === 'ran').length;
    expect(ran).toBe(perTick.rows.length);

    const settled = await r.system.db.query<{ completed: number; reconciled: number }>(
      `SELECT (SELECT sum((results->>'completed')::integer) FROM cron_job_executions)::integer AS completed,
              (SELECT count(*) FROM tasks WHERE settled_by = 'reconciler')::integer AS reconciled`,
    );
    expect(settled.rows[0]).toEqual({ completed: TASKS, reconciled: TASKS });
    await expectEachTaskSettledOnce(r.system.db);
    await expectAuditClean(r.system.db);
    const audit = await runCli(['audit'], { DATABASE_URL: r.database.url });
    expect(audit.code, audit.stdout).toBe(0);
  });
});

if (!usingPostgres()) {
  console.log('recovery-processes: two worker processes need a shared PostgreSQL; set TEST_DATABASE_URL to run it (the single-process version is test/scheduler)');
}
