import type { RunProgress } from '../jobs/index.js';
import {
  advanceClaimed,
  decideDispatch,
  claimPendingTask,
  findPendingTasks,
  newLease,
  type PendingTask,
  type SettlementPath,
  type TaskDeps,
} from '../tasks/index.js';
import { handleEach } from './batch.js';
import { CLAIM_LOST, leaseReason } from './leaseReason.js';
import { act, Tally } from './tally.js';
import type { ReconcileResult, Verdict } from './types.js';

export interface RedispatchTaskOptions {
  dryRun: boolean;
  path: SettlementPath;
}

/**
 * Dispatches one pending task again, unless its lease is live or its last createTask is still in doubt (it may have
 * created a provider task whose callback is on its way; sending it again now could make a second one), and says why.
 */
export async function redispatchPendingTask(deps: TaskDeps, row: PendingTask, options: RedispatchTaskOptions): Promise<Verdict> {
  if (row.lease_live) return { skipped: leaseReason(row) };
  if (row.in_doubt) return { skipped: inDoubtReason(row, deps.dispatchDoubtMs) };
  // dispatchTask fails a task past its deadline or out of attempts instead of sending it; report that honestly.
  const action = decideDispatch(row, deps.dispatchDoubtMs).action === 'fail' ? 'fail' : 'redispatch';
  if (options.dryRun) return { action };
  const lease = newLease(deps);
  const task = await claimPendingTask(deps.db, row.id, lease, deps.leaseMs, deps.dispatchDoubtMs);
  if (!task) return { skipped: CLAIM_LOST };
  return act(action, () => advanceClaimed(deps, { task, lease }, options.path));
}

function inDoubtReason(row: PendingTask, doubtMs: number): string {
  const ago = Math.max(0, Math.round((row.dispatch_started_ago_ms ?? 0) / 1000));
  return `sent ${ago}s ago without an answer; in doubt for ${Math.round(doubtMs / 1000)} s before it is sent again (DISPATCH_DOUBT_MS)`;
}

export interface RedispatchOptions {
  /** Pending for longer than this since creation (PENDING_STUCK_MINUTES). Ignored when taskId is given. */
  olderThanMs: number;
  batchSize: number;
  /** Just this task, whatever its age (an operator's explicit retry). */
  taskId?: string;
  dryRun?: boolean;
  concurrency?: number;
  path?: SettlementPath;
  progress?: RunProgress;
}

/** Re-dispatches stuck pending tasks, oldest first: `settle retry` and part of every reconciler run. */
export async function redispatchPendingTasks(deps: TaskDeps, options: RedispatchOptions): Promise<ReconcileResult> {
  const dryRun = options.dryRun ?? false;
  const rows = await findPendingTasks(deps.db, {
    olderThanMs: options.taskId ? undefined : options.olderThanMs,
    taskId: options.taskId,
    doubtMs: deps.dispatchDoubtMs,
    limit: options.batchSize,
  });
  const tally = new Tally(dryRun);
  tally.result.totalFound = rows.length;
  options.progress?.found(rows.length);
  const taskOptions = { dryRun, path: options.path ?? 'reconciler' };
  await handleEach(rows, { concurrency: options.concurrency ?? 5, tally, logger: deps.logger, progress: options.progress }, (row) =>
    redispatchPendingTask(deps, row, taskOptions),
  );
  return tally.result;
}
