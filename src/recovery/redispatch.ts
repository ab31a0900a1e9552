import {
  advanceClaimed,
  claimPendingTask,
  findPendingTasks,
  neverAcceptedInTime,
  newLease,
  type PendingTask,
  type SettlementPath,
  type TaskDeps,
} from '../tasks/index.js';
import { handleEach } from './batch.js';
import { CLAIM_LOST, leaseReason } from './leaseReason.js';
import { act, Tally } from './tally.js';
import type { ReconcileResult, Verdict } from './types.js';

/**
 * Race protection: a task dispatched this recently may have a dispatch still on its way to the provider (a slow
 * createTask whose answer we lost); sending it again now could create a second provider task.
 */
export const RECENT_DISPATCH_MS = 5 * 60_000;

export interface RedispatchTaskOptions {
  dryRun: boolean;
  recentDispatchMs: number;
  path: SettlementPath;
}

/** Dispatches one pending task again, unless its lease is live or it was dispatched too recently (and says why). */
export async function redispatchPendingTask(deps: TaskDeps, row: PendingTask, options: RedispatchTaskOptions): Promise<Verdict> {
  if (row.lease_live) return { skipped: leaseReason(row) };
  if (row.dispatched_recently) return { skipped: recentDispatchReason(row, options.recentDispatchMs) };
  // dispatchTask fails a task no provider accepted within its timeout instead of sending it; report that honestly.
  const action = neverAcceptedInTime(row) ? 'fail' : 'redispatch';
  if (options.dryRun) return { action };
  const lease = newLease(deps);
  const task = await claimPendingTask(deps.db, row.id, lease, deps.leaseMs, options.recentDispatchMs);
  if (!task) return { skipped: CLAIM_LOST };
  return act(action, () => advanceClaimed(deps, { task, lease }, options.path));
}

function recentDispatchReason(row: PendingTask, recentDispatchMs: number): string {
  const ago = Math.max(0, Math.round((row.dispatched_ago_ms ?? 0) / 1000));
  return `dispatched ${ago}s ago; waiting ${Math.round(recentDispatchMs / 60_000)} min before dispatching again (race protection)`;
}

export interface RedispatchOptions {
  /** Pending for longer than this since creation (PENDING_STUCK_MINUTES). Ignored when taskId is given. */
  olderThanMs: number;
  batchSize: number;
  /** Just this task, whatever its age (an operator's explicit retry). */
  taskId?: string;
  dryRun?: boolean;
  concurrency?: number;
  recentDispatchMs?: number;
  path?: SettlementPath;
}

/** Re-dispatches stuck pending tasks, oldest first: `settle retry` and part of every reconciler run. */
export async function redispatchPendingTasks(deps: TaskDeps, options: RedispatchOptions): Promise<ReconcileResult> {
  const dryRun = options.dryRun ?? false;
  const recentDispatchMs = options.recentDispatchMs ?? RECENT_DISPATCH_MS;
  const rows = await findPendingTasks(deps.db, {
    olderThanMs: options.taskId ? undefined : options.olderThanMs,
    taskId: options.taskId,
    recentDispatchMs,
    limit: options.batchSize,
  });
  const tally = new Tally(dryRun);
  tally.result.totalFound = rows.length;
  const taskOptions = { dryRun, recentDispatchMs, path: options.path ?? 'reconciler' };
  await handleEach(rows, { concurrency: options.concurrency ?? 5, tally, logger: deps.logger }, (row) =>
    redispatchPendingTask(deps, row, taskOptions),
  );
  return tally.result;
}
