import pLimit from 'p-limit';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runJob } from '../../src/jobs/index.js';
import { processStuckTasks } from '../../src/recovery/index.js';
import type { ReconcileResult } from '../../src/recovery/types.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { expectEachTaskSettledOnce, submitVideo } from './helpers.js';
import { startRecoverySystem, type RecoverySystem } from './system.js';

const TASKS = 200;
const BATCH = 50;

/** The small version of the settle section of `npm run bench` (10,000 tasks): a backlog of stuck tasks drained by the reconciler. */
describe('backlog drain', () => {
  let r: RecoverySystem | undefined;

  beforeEach(async () => {
    await r?.close();
    r = await startRecoverySystem({ sim: { durationMs: [0, 0], resultBytes: 256 } });
    const limit = pLimit(8);
    await Promise.all(Array.from({ length: TASKS }, () => limit(() => submitVideo(r!.system.tasks, r!.userId))));
    // Every task finished at the provider long ago, its callback was lost, and nobody polled.
    await r.system.db.query(
      `UPDATE tasks SET processing_started_at = now() - interval '20 minutes', next_check_at = now() + interval '1 day'`,
    );
  }, 120_000);
  afterAll(() => r?.close());

  const runUntilNothingFound = async (budgetMs: number): Promise<ReconcileResult[]> => {
    const started = Date.now();
    const runs = [];
    for (;;) {
      const config = { ...r!.system.config, batchSize: BATCH, reconcileConcurrency: 10, stuckAfterMs: 10 * 60_000, reconcileBudgetMs: budgetMs };
      const run = await runJob<unknown, ReconcileResult>({ ...r!.system.jobRunner, config }, processStuckTasks, r!.system.tasks, 'cli');
      expect(run.status).toBe('completed');
      runs.push(run.results!);
      if (run.results!.totalFound === 0) break;
      expect(runs.length).toBeLessThanOrEqual(TASKS / BATCH);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`backlog drain (budget ${budgetMs} ms): ${TASKS} tasks in ${seconds.toFixed(2)} s on ${r!.database.url ? 'PostgreSQL' : 'PGlite'}`);
    return runs;
  };

  const expectAllSettledOnce = async (runs: ReconcileResult[]) => {
    expect(runs.reduce((n, x) => n + x.errors + x.skipped.length, 0)).toBe(0);
    const left = await r!.system.db.query(`SELECT 1 FROM tasks WHERE status <> 'completed'`);
    expect(left.rowCount).toBe(0);
    const history = await r!.system.db.query(`SELECT 1 FROM cron_job_executions WHERE status = 'completed' AND trigger = 'cli'`);
    expect(history.rowCount).toBe(runs.length);
    await expectEachTaskSettledOnce(r!.system.db);
    await expectAuditClean(r!.system.db);
  };

  it(`with RECONCILE_BUDGET_MS=0, as the seeds did: ${TASKS / BATCH} runs of at most ${BATCH}`, async () => {
    const runs = await runUntilNothingFound(0);
    expect(runs.map((x) => [x.batches, x.completed])).toEqual([[1, BATCH], [1, BATCH], [1, BATCH], [1, BATCH], [1, 0]]);
    await expectAllSettledOnce(runs);
  });

  it(`within its budget, one run takes batch after batch while they come back full: ${TASKS} in one run`, async () => {
    const runs = await runUntilNothingFound(60_000);
    expect(runs.map((x) => [x.batches, x.totalFound, x.completed])).toEqual([
      [TASKS / BATCH + 1, TASKS, TASKS],
      [1, 0, 0],
    ]);
    await expectAllSettledOnce(runs);
  });
});
