import { claimTimedOutTask, failTask, findTimedOutTasks, newLease, type TaskDeps, type TimedOutTask } from '../tasks/index.js';
import { CLAIM_LOST, leaseReason } from './leaseReason.js';

export interface CleanupOptions {
  /** Fail tasks processing longer than this; omitted: each task's own (its model's) timeout. */
  timeoutMs?: number;
  /** Report what would be cleaned up; change nothing. */
  dryRun?: boolean;
  /** At most this many tasks per run (default 100). */
  batchSize?: number;
}

export interface CleanupJob {
  taskId: string;
  userId: string;
  model: string;
  processingStartedAt: string | null;
  stuckForMs: number;
  /** cleaned_up: failed and refunded now; would_clean_up: dry run; skipped: left alone (see reason); error: see errors. */
  status: 'cleaned_up' | 'would_clean_up' | 'skipped' | 'error';
  creditsRefunded: number;
  reason?: string;
}

export interface CleanupResult {
  dryRun: boolean;
  /** The timeout applied; null when each task's own timeout was. */
  timeoutMs: number | null;
  totalFound: number;
  /** Tasks failed with error_code 'timeout' and refunded (in a dry run: that would be). */
  cleanedUp: number;
  /** Tasks whose cleanup threw; they stay as they were and the next run tries again. */
  failed: number;
  /** Credits released back to users by this run (in a dry run: that would be). */
  tokensRefunded: number;
  /** Tasks left alone because someone else is advancing them right now. */
  skipped: number;
  jobs: CleanupJob[];
  errors: { taskId: string; error: string }[];
}

export const DEFAULT_CLEANUP_BATCH_SIZE = 100;

/**
 * The timeout cleanup: fails and refunds tasks stuck processing past the timeout. Each task is claimed first, so
 * the failure is fenced like any other settlement and a task someone is advancing right now is skipped. A late
 * success from the provider is still picked up afterwards (late_result), without charging the user.
 */
export async function cleanupTimedOutTasks(deps: TaskDeps, options: CleanupOptions = {}): Promise<CleanupResult> {
  const dryRun = options.dryRun ?? false;
  const rows = await findTimedOutTasks(deps.db, options.timeoutMs, options.batchSize ?? DEFAULT_CLEANUP_BATCH_SIZE);
  const result: CleanupResult = {
    dryRun,
    timeoutMs: options.timeoutMs ?? null,
    totalFound: rows.length,
    cleanedUp: 0,
    failed: 0,
    tokensRefunded: 0,
    skipped: 0,
    jobs: [],
    errors: [],
  };
  for (const row of rows) {
    const job = await cleanUpOne(deps, row, options.timeoutMs, dryRun).catch((err: unknown) => {
      deps.logger.error({ err, taskId: row.id }, 'timeout cleanup of a task failed; the run goes on');
      result.errors.push({ taskId: row.id, error: err instanceof Error ? err.message : String(err) });
      return jobOf(row, 'error', 0);
    });
    result.jobs.push(job);
    if (job.status === 'cleaned_up' || job.status === 'would_clean_up') result.cleanedUp++;
    if (job.status === 'skipped') result.skipped++;
    if (job.status === 'error') result.failed++;
    result.tokensRefunded += job.creditsRefunded;
  }
  deps.logger.info({ dryRun, totalFound: result.totalFound, cleanedUp: result.cleanedUp, failed: result.failed }, 'timeout cleanup finished');
  return result;
}

async function cleanUpOne(deps: TaskDeps, row: TimedOutTask, timeoutMs: number | undefined, dryRun: boolean): Promise<CleanupJob> {
  if (row.lease_live) return jobOf(row, 'skipped', 0, leaseReason(row));
  if (dryRun) return jobOf(row, 'would_clean_up', row.price);
  const lease = newLease(deps);
  const task = await claimTimedOutTask(deps.db, row.id, lease, deps.leaseMs, timeoutMs);
  if (!task) return jobOf(row, 'skipped', 0, CLAIM_LOST);
  const limitMs = timeoutMs ?? task.timeout_ms;
  const message = `Timed out: no result within ${formatDuration(limitMs)} of processing; the credits were refunded`;
  const failed = await failTask(deps, { task, lease }, { code: 'timeout', message }, 'cleanup');
  if (!failed) return jobOf(row, 'skipped', 0, CLAIM_LOST);
  return jobOf(row, 'cleaned_up', failed.price);
}

function jobOf(row: TimedOutTask, status: CleanupJob['status'], creditsRefunded: number, reason?: string): CleanupJob {
  return {
    taskId: row.id,
    userId: row.user_id,
    model: row.model,
    processingStartedAt: row.processing_started_at?.toISOString() ?? null,
    stuckForMs: row.stuck_for_ms,
    status,
    creditsRefunded,
    ...(reason && { reason }),
  };
}

function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
