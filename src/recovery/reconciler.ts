import type { TaskDeps } from '../tasks/index.js';
import { handleEach } from './batch.js';
import { LATE_RESULT_WINDOW_MS, recoverLateResult } from './lateResults.js';
import { withProviderLimits, type RateLimit } from './providerGate.js';
import { recheckProcessingTask } from './recheck.js';
import { RECENT_DISPATCH_MS, redispatchPendingTask } from './redispatch.js';
import { findLateResultCandidates } from './sql/lateResultCandidates.js';
import { findPendingTasks } from './sql/pendingTasks.js';
import { findStuckTasks } from './sql/stuckTasks.js';
import { withStatusSnapshot } from './statusSnapshot.js';
import { chunkedStuckClaims } from './stuckClaims.js';
import { Tally } from './tally.js';
import type { ReconcileResult } from './types.js';

export interface ReconcileOptions {
  /** At most this many stuck processing tasks (and as many stale pending ones) per run: BATCH_SIZE. */
  batchSize: number;
  /** STUCK_AFTER_MINUTES: processing longer than this. */
  stuckAfterMs: number;
  /** PENDING_STUCK_MINUTES: pending (since creation) longer than this. */
  pendingStuckMs: number;
  /** Classify and report, change nothing (not even a lease). */
  dryRun?: boolean;
  /** Tasks handled at once. */
  concurrency?: number;
  recentDispatchMs?: number;
  lateResultWindowMs?: number;
  rateLimit?: RateLimit | null;
}

/**
 * "Process stuck tasks": re-checks tasks processing for too long (complete, retry, fail and refund, or wait),
 * re-dispatches stale pending tasks, and stores late results of timeout-failures. Every set is found before
 * anything changes, so a dry run reports exactly the tasks and actions a real run then takes.
 */
export async function reconcileStuckTasks(deps: TaskDeps, options: ReconcileOptions): Promise<ReconcileResult> {
  const dryRun = options.dryRun ?? false;
  const recentDispatchMs = options.recentDispatchMs ?? RECENT_DISPATCH_MS;
  const run = withStatusSnapshot(withProviderLimits(deps, options.rateLimit ?? null));

  const stuck = await findStuckTasks(deps.db, options.stuckAfterMs, options.batchSize);
  const pending = await findPendingTasks(deps.db, { olderThanMs: options.pendingStuckMs, recentDispatchMs, limit: options.batchSize });
  const late = await findLateResultCandidates(deps.db, options.lateResultWindowMs ?? LATE_RESULT_WINDOW_MS, options.batchSize);

  const tally = new Tally(dryRun);
  tally.result.totalFound = stuck.length + pending.length;
  const concurrency = options.concurrency ?? 10;
  const each = { concurrency, tally, logger: deps.logger };
  const claimStuck = chunkedStuckClaims(deps, stuck, { chunk: concurrency, stuckAfterMs: options.stuckAfterMs });
  await handleEach(stuck, each, (row) => recheckProcessingTask(run, row, { dryRun, path: 'reconciler', claim: () => claimStuck(row.id) }));
  await handleEach(pending, each, (row) => redispatchPendingTask(run, row, { dryRun, recentDispatchMs, path: 'reconciler' }));
  await handleEach(late, each, (row) => recoverLateResult(run, row, dryRun));
  deps.logger.info(summary(tally.result), dryRun ? 'reconcile dry run finished' : 'reconcile run finished');
  return tally.result;
}

function summary(r: ReconcileResult) {
  const { tasks: _tasks, skipped, ...counts } = r;
  return { ...counts, skipped: skipped.length };
}
