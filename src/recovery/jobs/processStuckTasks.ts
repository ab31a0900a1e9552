import type { JobDescriptor } from '../../jobs/index.js';
import type { TaskDeps } from '../../tasks/index.js';
import { reconcileStuckTasks } from '../reconciler.js';
import type { ReconcileResult } from '../types.js';

const describe = (r: ReconcileResult): string =>
  `${r.dryRun ? 'Dry run: found' : 'Processed'} ${r.totalFound} stuck tasks: ${r.completed} completed, ${r.failed} failed, ` +
  `${r.stillProcessing} still processing, ${r.retried} retried, ${r.redispatched} re-dispatched, ${r.lateResults} late results, ` +
  `${r.errors} errors, ${r.skipped.length} skipped`;

/** "Process stuck tasks" (DESIGN section 4, path 4): the reconciler. */
export const processStuckTasks: JobDescriptor<TaskDeps, ReconcileResult> = {
  name: 'process-stuck-tasks',
  title: 'Process stuck tasks',
  schedule: { variable: 'RECONCILE_CRON', pattern: (config) => config.reconcileCron },
  run: ({ deps, config, overrides, stopping, progress }) =>
    reconcileStuckTasks(deps, {
      batchSize: typeof overrides.batchSize === 'number' ? overrides.batchSize : config.batchSize,
      budgetMs: typeof overrides.budgetMs === 'number' ? Math.min(overrides.budgetMs, config.reconcileBudgetMs) : config.reconcileBudgetMs,
      stuckAfterMs: config.stuckAfterMs,
      pendingStuckMs: config.pendingStuckMs,
      concurrency: config.reconcileConcurrency,
      dryRun: overrides.dryRun,
      stopping,
      progress,
    }),
  summarize: (r) => ({
    found: r.totalFound,
    completed: r.completed,
    retried: r.retried,
    redispatched: r.redispatched,
    lateResults: r.lateResults,
    failed: r.failed,
    errors: r.errors,
  }),
  describe,
  answer: (run) => {
    const { totalFound, dryRun, ...results } = run.results!;
    return { success: true, message: describe(run.results!), results, duration: run.durationMs, totalFound, executionId: run.executionId, dryRun };
  },
};
