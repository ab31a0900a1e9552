import type { JobDescriptor } from '../../jobs/index.js';
import type { TaskDeps } from '../../tasks/index.js';
import { cleanupTimedOutTasks, DEFAULT_CLEANUP_BATCH_SIZE, type CleanupResult } from '../cleanup.js';

const describe = (r: CleanupResult): string =>
  `${r.dryRun ? 'Dry run: would clean up' : 'Cleaned up'} ${r.cleanedUp} of ${r.totalFound} timed-out tasks, ` +
  `refunding ${r.tokensRefunded} credits; ${r.completed} finished at the provider ${r.dryRun ? 'would be' : 'were'} delivered instead ` +
  `(${r.failed} failed, ${r.skipped} skipped)`;

/** The timeout cleanup (DESIGN section 4, path 5). */
export const cleanupJobs: JobDescriptor<TaskDeps, CleanupResult> = {
  name: 'cleanup-jobs',
  title: 'Timeout cleanup',
  schedule: { variable: 'CLEANUP_CRON', pattern: (config) => config.cleanupCron },
  run: ({ deps, config, overrides, progress }) =>
    cleanupTimedOutTasks(deps, {
      timeoutMs: typeof overrides.timeoutMs === 'number' ? overrides.timeoutMs : config.cleanupTimeoutMs,
      batchSize: typeof overrides.batchSize === 'number' ? overrides.batchSize : (config.cleanupBatchSize ?? DEFAULT_CLEANUP_BATCH_SIZE),
      dryRun: overrides.dryRun,
      progress,
    }),
  summarize: (r) => ({
    found: r.totalFound,
    completed: r.dryRun ? 0 : r.completed,
    retried: 0,
    redispatched: 0,
    lateResults: 0,
    failed: r.dryRun ? 0 : r.cleanedUp,
    errors: r.failed,
  }),
  describe,
  answer: (run) => ({ success: true, result: run.results, message: describe(run.results!), executionId: run.executionId, duration: run.durationMs }),
};
