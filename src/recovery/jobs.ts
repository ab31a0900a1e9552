import type { Config } from '../config/index.js';
import type { TaskDeps } from '../tasks/index.js';
import { cleanupTimedOutTasks, type CleanupResult } from './cleanup.js';
import { runJob, type JobTrigger, type RunJobOptions } from './executions.js';
import type { RateLimit } from './providerGate.js';
import { reconcileStuckTasks } from './reconciler.js';
import type { ReconcileResult } from './types.js';

/** The recovery jobs, by the names their cron routes, run history and alerts use. */
export const JOB_NAMES = ['process-stuck-tasks', 'cleanup-jobs'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobResults {
  'process-stuck-tasks': ReconcileResult;
  'cleanup-jobs': CleanupResult;
}

/** Recovery tuning, read once from the configuration. */
export interface RecoverySettings {
  batchSize: number;
  budgetMs: number;
  stuckAfterMs: number;
  pendingStuckMs: number;
  concurrency: number;
  rateLimit: RateLimit | null;
  cleanupTimeoutMs?: number;
  cleanupBatchSize: number;
}

export function recoverySettings(config: Config): RecoverySettings {
  return {
    batchSize: config.batchSize,
    budgetMs: config.reconcileBudgetMs,
    stuckAfterMs: config.stuckAfterMs,
    pendingStuckMs: config.pendingStuckMs,
    concurrency: config.reconcileConcurrency,
    rateLimit: config.providerRateLimit,
    cleanupTimeoutMs: config.cleanupTimeoutMs,
    cleanupBatchSize: config.cleanupBatchSize,
  };
}

/** Per-run overrides from an operator (CLI flags, admin API body). */
export interface JobOverrides {
  dryRun?: boolean;
  batchSize?: number;
  /** cleanup-jobs only. */
  timeoutMs?: number;
}

export interface RecoveryRun<R> {
  /** Null for a dry run: it writes nothing, not even its run history row. */
  executionId: string | null;
  jobName: JobName;
  status: 'completed' | 'failed';
  durationMs: number;
  dryRun: boolean;
  results?: R;
  error?: string;
}

/**
 * Runs a recovery job once, recorded in the run history (unless it is a dry run). The one entry point for the
 * scheduler, the cron routes, the admin API and the CLI. Throws JobAlreadyRunningError when a run is in progress.
 */
export async function runRecoveryJob<J extends JobName>(
  deps: TaskDeps,
  settings: RecoverySettings,
  job: J,
  trigger: JobTrigger,
  overrides: JobOverrides = {},
  options: RunJobOptions = {},
): Promise<RecoveryRun<JobResults[J]>> {
  const work = () => jobWork(deps, settings, job, overrides, options.stopping) as Promise<JobResults[J]>;
  if (overrides.dryRun) {
    const started = Date.now();
    const results = await work();
    return { executionId: null, jobName: job, status: 'completed', durationMs: Date.now() - started, dryRun: true, results };
  }
  const run = await runJob(deps, job, trigger, work, options);
  return { ...run, jobName: job, dryRun: false };
}

function jobWork(
  deps: TaskDeps,
  settings: RecoverySettings,
  job: JobName,
  overrides: JobOverrides,
  stopping: AbortSignal | undefined,
): Promise<ReconcileResult | CleanupResult> {
  if (job === 'cleanup-jobs') {
    return cleanupTimedOutTasks(deps, {
      timeoutMs: overrides.timeoutMs ?? settings.cleanupTimeoutMs,
      batchSize: overrides.batchSize ?? settings.cleanupBatchSize,
      dryRun: overrides.dryRun,
    });
  }
  return reconcileStuckTasks(deps, {
    batchSize: overrides.batchSize ?? settings.batchSize,
    budgetMs: settings.budgetMs,
    stuckAfterMs: settings.stuckAfterMs,
    pendingStuckMs: settings.pendingStuckMs,
    concurrency: settings.concurrency,
    rateLimit: settings.rateLimit,
    dryRun: overrides.dryRun,
    stopping,
  });
}
