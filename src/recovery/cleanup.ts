import type { RunProgress } from '../jobs/index.js';
import {
  advanceClaimed,
  askProvider,
  claimOverdueTask,
  failTask,
  findOverdueTasks,
  newLease,
  type ClaimedTask,
  type OverdueTask,
  type TaskDeps,
} from '../tasks/index.js';
import { CLAIM_LOST, leaseReason } from './leaseReason.js';

export interface CleanupOptions {
  /** Fail tasks processing longer than this; omitted: each task's own (its model's) timeout. */
  timeoutMs?: number;
  /** Report what would be cleaned up; change nothing. */
  dryRun?: boolean;
  /** At most this many tasks per run (default 100). */
  batchSize?: number;
  progress?: RunProgress;
}

export interface CleanupJob {
  taskId: string;
  userId: string;
  model: string;
  /** The task's state when found: processing past its timeout, or pending past its deadline. */
  was: 'processing' | 'pending';
  processingStartedAt: string | null;
  stuckForMs: number;
  /**
   * cleaned_up: failed and refunded now; completed: the provider had finished it, so it was delivered and charged
   * instead; would_*: the same in a dry run; skipped: left alone (see reason); error: see errors.
   */
  status: 'cleaned_up' | 'completed' | 'would_clean_up' | 'would_complete' | 'skipped' | 'error';
  creditsRefunded: number;
  reason?: string;
}

export interface CleanupResult {
  dryRun: boolean;
  /** The timeout applied; null when each task's own timeout was. */
  timeoutMs: number | null;
  totalFound: number;
  /** Tasks failed (timeout, or never accepted by their deadline) and refunded (in a dry run: that would be). */
  cleanedUp: number;
  /** Tasks the provider had finished after all: delivered and charged instead of refunded. */
  completed: number;
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
 * The timeout cleanup: settles every live task past its time. A processing task past its timeout is asked about once
 * more (cleanup asks first): one the provider finished is completed and charged, any other is failed with a timeout
 * and refunded. A pending task past its deadline is failed and refunded. Each task is claimed first, so the
 * settlement is fenced like any other, and a task someone is advancing right now is skipped. A late success from the
 * provider is still picked up afterwards (late_result), without charging the user.
 */
export async function cleanupTimedOutTasks(deps: TaskDeps, options: CleanupOptions = {}): Promise<CleanupResult> {
  const dryRun = options.dryRun ?? false;
  const rows = await findOverdueTasks(deps.db, options.timeoutMs, options.batchSize ?? DEFAULT_CLEANUP_BATCH_SIZE);
  const result: CleanupResult = {
    dryRun,
    timeoutMs: options.timeoutMs ?? null,
    totalFound: rows.length,
    cleanedUp: 0,
    completed: 0,
    failed: 0,
    tokensRefunded: 0,
    skipped: 0,
    jobs: [],
    errors: [],
  };
  options.progress?.found(rows.length);
  for (const row of rows) {
    const job = await cleanUpOne(deps, row, options.timeoutMs, dryRun).catch((err: unknown) => {
      deps.logger.error({ err, taskId: row.id }, 'timeout cleanup of a task failed; the run goes on');
      result.errors.push({ taskId: row.id, error: err instanceof Error ? err.message : String(err) });
      return jobOf(row, 'error', 0);
    });
    result.jobs.push(job);
    count(result, job);
    options.progress?.handled();
  }
  deps.logger.info({ dryRun, totalFound: result.totalFound, cleanedUp: result.cleanedUp, completed: result.completed, failed: result.failed }, 'timeout cleanup finished');
  return result;
}

function count(result: CleanupResult, job: CleanupJob): void {
  if (job.status === 'cleaned_up' || job.status === 'would_clean_up') result.cleanedUp++;
  if (job.status === 'completed' || job.status === 'would_complete') result.completed++;
  if (job.status === 'skipped') result.skipped++;
  if (job.status === 'error') result.failed++;
  result.tokensRefunded += job.creditsRefunded;
}

async function cleanUpOne(deps: TaskDeps, row: OverdueTask, timeoutMs: number | undefined, dryRun: boolean): Promise<CleanupJob> {
  if (row.lease_live) return jobOf(row, 'skipped', 0, leaseReason(row));
  if (dryRun) return (await finishedAtProvider(deps, row)) ? jobOf(row, 'would_complete', 0) : jobOf(row, 'would_clean_up', row.price);
  const lease = newLease(deps);
  const task = await claimOverdueTask(deps.db, row.id, lease, deps.leaseMs, timeoutMs);
  if (!task) return jobOf(row, 'skipped', 0, CLAIM_LOST);
  const claim = { task, lease };
  const job = task.status === 'pending' ? await failNeverAccepted(deps, claim) : await settleTimedOut(deps, claim, timeoutMs);
  deps.logger.info({ taskId: task.id, was: task.status, outcome: job }, 'timeout cleanup settled a task');
  return jobOf(row, job.status, job.refunded, job.reason);
}

async function finishedAtProvider(deps: TaskDeps, task: OverdueTask): Promise<boolean> {
  if (task.status !== 'processing') return false;
  const answer = await askProvider(deps, task);
  return 'status' in answer && answer.status.state === 'success';
}

type Settled = { status: CleanupJob['status']; refunded: number; reason?: string };

async function failNeverAccepted(deps: TaskDeps, claim: ClaimedTask): Promise<Settled> {
  const outcome = await advanceClaimed(deps, claim, 'cleanup');
  if (outcome === 'failed') return { status: 'cleaned_up', refunded: claim.task.price };
  return { status: 'skipped', refunded: 0, reason: `not failed (${outcome})` };
}

/** Asks the provider first: a finished task is delivered and charged; anything else fails for timeout, refunded. */
async function settleTimedOut(deps: TaskDeps, claim: ClaimedTask, timeoutMs: number | undefined): Promise<Settled> {
  const answer = await askProvider(deps, claim.task);
  if ('status' in answer && answer.status.state === 'success') {
    const outcome = await advanceClaimed(deps, claim, 'cleanup', answer);
    if (outcome === 'completed') return { status: 'completed', refunded: 0 };
    if (outcome === 'fenced') return { status: 'skipped', refunded: 0, reason: CLAIM_LOST };
    return { status: 'skipped', refunded: 0, reason: `not completed (${outcome}); the next run asks again` };
  }
  const limitMs = timeoutMs ?? claim.task.timeout_ms;
  const message = `Timed out: no result within ${formatDuration(limitMs)} of processing; the credits were refunded`;
  const failed = await failTask(deps, claim, { code: 'timeout', message }, 'cleanup');
  return failed ? { status: 'cleaned_up', refunded: failed.price } : { status: 'skipped', refunded: 0, reason: CLAIM_LOST };
}

function jobOf(row: OverdueTask, status: CleanupJob['status'], creditsRefunded: number, reason?: string): CleanupJob {
  return {
    taskId: row.id,
    userId: row.user_id,
    model: row.model,
    was: row.status === 'pending' ? 'pending' : 'processing',
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
