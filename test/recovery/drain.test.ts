import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverySettings, runRecoveryJob, type RecoverySettings } from '../../src/recovery/index.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { expectEachTaskSettledOnce, submitVideo } from './helpers.js';
import { startRecoverySystem, type RecoverySystem } from './system.js';

const TASKS = 200;
const BATCH = 50;

/** The small version of the settle section of `npm run bench` (10,000 tasks): a backlog of stuck tasks drained by repeated runs. */
describe('backlog drain', () => {
  let r: RecoverySystem;
  let settings: RecoverySettings;

  beforeAll(async () => {
    r = await startRecoverySystem({ sim: { durationMs: [0, 0], resultBytes: 256 } });
    settings = { ...recoverySettings(r.system.config), batchSize: BATCH, concurrency: 10, stuckAfterMs: 10 * 60_000, rateLimit: null };
    const limit = pLimit(8);
    await Promise.all(Array.from({ length: TASKS }, () => limit(() => submitVideo(r.system.tasks, r.userId))));
    // Every task finished at the provider long ago, its callback was lost, and nobody polled.
    await r.system.db.query(
      `UPDATE tasks SET processing_started_at = now() - interval '20 minutes', next_check_at = now() + interval '1 day'`,
    );
  }, 120_000);
  afterAll(() => r.close());

  it(`drains ${TASKS} stuck tasks in ${TASKS / BATCH} runs of at most ${BATCH}, each settled once`, async () => {
    const started = Date.now();
    const runs = [];
    for (;;) {
      const run = await runRecoveryJob(r.system.tasks, settings, 'process-stuck-tasks', 'cli');
      expect(run.status).toBe('completed');
      runs.push(run.results!);
      if (run.results!.totalFound === 0) break;
      expect(runs.length).toBeLessThanOrEqual(TASKS / BATCH);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`backlog drain: ${TASKS} tasks in ${seconds.toFixed(2)} s (${Math.round(TASKS / seconds)} tasks/s) on ${r.database.url ? 'PostgreSQL' : 'PGlite'}`);

    expect(runs.map((x) => x.completed)).toEqual([BATCH, BATCH, BATCH, BATCH, 0]);
    expect(runs.reduce((n, x) => n + x.errors + x.skipped.length, 0)).toBe(0);
    const left = await r.system.db.query(`SELECT 1 FROM tasks WHERE status <> 'completed'`);
    expect(left.rowCount).toBe(0);
    const history = await r.system.db.query(`SELECT 1 FROM cron_job_executions WHERE status = 'completed' AND trigger = 'cli'`);
    expect(history.rowCount).toBe(runs.length);
    await expectEachTaskSettledOnce(r.system.db);
    await expectAuditClean(r.system.db);
  });
});
