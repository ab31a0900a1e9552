import { claimTask, findPendingTasks, findTask, newLease, TERMINAL_STATUSES, type SettlementPath, type TaskDeps, type TaskRow } from '../tasks/index.js';
import { recheckProcessingTask } from './recheck.js';
import { redispatchPendingTask } from './redispatch.js';
import type { Verdict } from './types.js';

export interface RetryNowOptions {
  dryRun?: boolean;
  path?: SettlementPath;
}

export interface RetryNowResult {
  /** The task as it is after the attempt (null: no such task). */
  task: TaskRow | null;
  verdict: Verdict;
}

/**
 * An operator's "retry this task now", whatever its age: a pending task is dispatched again (same race protection
 * as the reconciler), a processing one is re-checked with the provider and settled if it is done. Terminal tasks
 * are left alone.
 */
export async function retryTaskNow(deps: TaskDeps, taskId: string, options: RetryNowOptions = {}): Promise<RetryNowResult> {
  const task = await findTask(deps.db, taskId);
  if (!task) return { task: null, verdict: null };
  if (TERMINAL_STATUSES.includes(task.status)) return { task, verdict: { skipped: `already ${task.status}` } };
  const settings = {
    dryRun: options.dryRun ?? false,
    path: options.path ?? 'admin',
  };
  const verdict = task.status === 'pending' ? await retryPending(deps, taskId, settings) : await recheckNow(deps, task, settings);
  return { task: await findTask(deps.db, taskId), verdict };
}

type Settings = { dryRun: boolean; path: SettlementPath };

async function retryPending(deps: TaskDeps, taskId: string, settings: Settings): Promise<Verdict> {
  const [row] = await findPendingTasks(deps.db, { taskId, doubtMs: deps.dispatchDoubtMs, limit: 1 });
  if (!row) return { skipped: 'no longer pending' };
  return redispatchPendingTask(deps, row, settings);
}

function recheckNow(deps: TaskDeps, task: TaskRow, settings: Settings): Promise<Verdict> {
  const leaseLive = task.lease_expires_at !== null && task.lease_expires_at.getTime() >= Date.now();
  return recheckProcessingTask(deps, { ...task, lease_live: leaseLive }, {
    dryRun: settings.dryRun,
    path: settings.path,
    claim: async () => {
      const lease = newLease(deps);
      const claimed = await claimTask(deps.db, task.id, lease, deps.leaseMs);
      return claimed && { task: claimed, lease };
    },
  });
}
