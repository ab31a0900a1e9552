import { EMPTY_SUMMARY, type JobDescriptor } from '../../jobs/index.js';
import { pruneTasks, type PruneResult, type TaskDeps } from '../../tasks/index.js';

const DAY_MS = 86_400_000;

/**
 * Retention (DESIGN section 14) as a recovery-style job: recorded in the run history, never two at once, runnable
 * from `settle prune`, its cron route and the dashboard, and on PRUNE_CRON (off unless set). Overrides: olderThanMs
 * (default PRUNE_OLDER_THAN_DAYS), batchSize, dryRun.
 */
export const pruneHistory: JobDescriptor<TaskDeps, PruneResult> = {
  name: 'prune-history',
  title: 'Retention',
  schedule: { variable: 'PRUNE_CRON', pattern: (config) => config.pruneCron },
  async run({ deps, config, overrides, progress }) {
    const olderThanMs = typeof overrides.olderThanMs === 'number' ? overrides.olderThanMs : config.pruneOlderThanDays * DAY_MS;
    let seen = 0;
    return pruneTasks(deps.db, deps.store, {
      olderThanMs,
      batchSize: overrides.batchSize,
      dryRun: overrides.dryRun,
      onBatch: (totals) => {
        progress?.found(totals.tasks - seen);
        for (; seen < totals.tasks; seen++) progress?.handled();
      },
    });
  },
  summarize: (r) => ({ ...EMPTY_SUMMARY, found: r.tasks }),
  describe: (r) =>
    `${r.dryRun ? 'Would prune' : 'Pruned'} ${r.tasks} task${r.tasks === 1 ? '' : 's'} finished over ${formatAge(r.olderThanMs)} ago (${r.files} stored file${r.files === 1 ? '' : 's'}) in ${r.batches} batch${r.batches === 1 ? '' : 'es'}`,
  answer: (run) => ({ success: true, message: pruneHistory.describe(run.results!), results: run.results, executionId: run.executionId, duration: run.durationMs }),
};

/** 90d, 12h, 30m or 45s: the largest unit that divides the age. */
function formatAge(ms: number): string {
  for (const [unit, size] of [['d', DAY_MS], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}
