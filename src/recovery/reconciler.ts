import type { RunProgress } from '../jobs/index.js';
import { pageKeyOf, type PageKey, type Paged } from '../db/index.js';
import { findLateResultCandidates, findPendingTasks, findStuckTasks, type TaskDeps } from '../tasks/index.js';
import { handleEach } from './batch.js';
import { LATE_RESULT_WINDOW_MS, recoverLateResult } from './lateResults.js';
import { recheckProcessingTask } from './recheck.js';
import { redispatchPendingTask } from './redispatch.js';
import { chunkedStuckClaims } from './stuckClaims.js';
import { Tally } from './tally.js';
import type { ReconcileResult } from './types.js';

export interface ReconcileOptions {
  /** At most this many stuck processing tasks (and as many stale pending ones) per batch: BATCH_SIZE. */
  batchSize: number;
  /**
   * RECONCILE_BUDGET_MS: while a batch comes back full, the run takes the next one until this long after it began,
   * so a backlog drains in one run instead of one batch per tick. 0 (the default here): one batch per run.
   */
  budgetMs?: number;
  /** STUCK_AFTER_MINUTES: processing longer than this. */
  stuckAfterMs: number;
  /** PENDING_STUCK_MINUTES: pending (since creation) longer than this. */
  pendingStuckMs: number;
  /** Classify and report, change nothing (not even a lease). */
  dryRun?: boolean;
  /** Tasks handled at once. */
  concurrency?: number;
  lateResultWindowMs?: number;
  /** Once aborted (the process is shutting down), the run finishes its batch and takes no other. */
  stopping?: AbortSignal;
  progress?: RunProgress;
}

/** One of the sets a run works through, a batch at a time, each batch after the last one's page key. */
interface PagedSet {
  /** Stuck and pending tasks count toward totalFound; late-result candidates do not. */
  counted: boolean;
  findBatch(): Promise<{ size: number; handle(): Promise<void> }>;
}

function pagedSet<T extends Paged>(counted: boolean, find: (after?: PageKey) => Promise<T[]>, handle: (rows: T[]) => Promise<void>): PagedSet {
  let after: PageKey | undefined;
  return {
    counted,
    async findBatch() {
      const rows = await find(after);
      if (rows.length > 0) after = pageKeyOf(rows.at(-1)!);
      return { size: rows.length, handle: () => handle(rows) };
    },
  };
}

/**
 * "Process stuck tasks": re-checks tasks processing for too long (complete, retry, fail and refund, or wait),
 * re-dispatches stale pending tasks, and stores late results of timeout-failures. Each batch of every set is found
 * before anything in it changes, so a dry run reports exactly the tasks and actions a real run then takes. A later
 * batch starts after the last task of the one before (keyset order), so a task left waiting is not taken twice.
 */
export async function reconcileStuckTasks(deps: TaskDeps, options: ReconcileOptions): Promise<ReconcileResult> {
  const tally = new Tally(options.dryRun ?? false);
  const deadline = Date.now() + (options.budgetMs ?? 0);
  let live = pagedSets(deps, options, tally);
  do {
    const batches = [];
    for (const set of live) batches.push({ set, batch: await set.findBatch() });
    options.progress?.found(batches.reduce((n, { batch }) => n + batch.size, 0));
    tally.result.batches++;
    for (const { set, batch } of batches) {
      if (set.counted) tally.result.totalFound += batch.size;
      await batch.handle();
    }
    live = batches.filter(({ batch }) => batch.size === options.batchSize).map(({ set }) => set);
  } while (live.length > 0 && Date.now() < deadline && !options.stopping?.aborted);
  deps.logger.info(summary(tally.result), tally.result.dryRun ? 'reconcile dry run finished' : 'reconcile run finished');
  return tally.result;
}

function pagedSets(deps: TaskDeps, options: ReconcileOptions, tally: Tally): PagedSet[] {
  const dryRun = options.dryRun ?? false;
  const each = { concurrency: options.concurrency ?? 10, tally, logger: deps.logger, progress: options.progress };
  const { batchSize: limit, stuckAfterMs } = options;
  return [
    pagedSet(
      true,
      (after) => findStuckTasks(deps.db, stuckAfterMs, limit, after),
      (rows) => {
        const claim = chunkedStuckClaims(deps, rows, { chunk: each.concurrency, stuckAfterMs });
        return handleEach(rows, each, (row) => recheckProcessingTask(deps, row, { dryRun, path: 'reconciler', claim: () => claim(row.id) }));
      },
    ),
    pagedSet(
      true,
      (after) => findPendingTasks(deps.db, { olderThanMs: options.pendingStuckMs, doubtMs: deps.dispatchDoubtMs, limit, after }),
      (rows) => handleEach(rows, each, (row) => redispatchPendingTask(deps, row, { dryRun, path: 'reconciler' })),
    ),
    pagedSet(
      false,
      (after) => findLateResultCandidates(deps.db, options.lateResultWindowMs ?? LATE_RESULT_WINDOW_MS, limit, after),
      (rows) => handleEach(rows, each, (row) => recoverLateResult(deps, row, dryRun)),
    ),
  ];
}

function summary(r: ReconcileResult) {
  const { tasks: _tasks, skipped, ...counts } = r;
  return { ...counts, skipped: skipped.length };
}
