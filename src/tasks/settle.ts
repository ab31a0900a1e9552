import type { Db } from '../db/index.js';
import { captureHold, releaseHold } from '../ledger/index.js';
import { completionBatcher, type PendingCompletion } from './completionBatch.js';
import { onePerDatabase } from './groupCommit.js';
import { deleteLeftoverFiles } from './ingest.js';
import { markCanceled, markFailed } from './sql/fencedUpdates.js';
import { markCompletedMany } from './sql/markCompletedMany.js';
import type { ClaimedTask, SettlementPath, TaskDeps, TaskRow } from './types.js';

export class SettlementConflictError extends Error {
  constructor(readonly taskId: string, reason: string) {
    super(`Task ${taskId} cannot settle: ${reason}`);
    this.name = 'SettlementConflictError';
  }
}

const completionsOf = onePerDatabase((db) => completionBatcher(db, (completion) => completeAlone(db, completion)));

/**
 * Marks the task completed and charges its hold, committed together with its notification. Null when the lease was
 * lost (someone else settled or took over), in which case nothing changed. Completions arriving together share one
 * transaction (group commit); each row is still fenced by its own lease and each hold captured at most once.
 */
export function completeTask(
  deps: TaskDeps,
  claim: ClaimedTask,
  assetKeys: string[],
  providerCompletedAt: Date,
  path: SettlementPath,
): Promise<TaskRow | null> {
  return completionsOf(deps.db).run({ taskId: claim.task.id, lease: claim.lease, assetKeys, providerCompletedAt, path, onSettled: deps.onSettled });
}

async function completeAlone(db: Db, c: PendingCompletion): Promise<TaskRow | null> {
  return db.transaction(async (tx) => {
    const [task] = await markCompletedMany(tx, [c]);
    if (!task) return null;
    // A hold that is not open here means the ledger and the task disagree; roll back rather than complete uncharged.
    if ((await captureHold(tx, task.id)) === null) throw new SettlementConflictError(task.id, 'its hold is not open');
    await c.onSettled?.(tx, [{ task, path: c.path }]);
    return task;
  });
}

/** Marks the task failed and releases its hold in one transaction; null when the lease was lost. */
export async function failTask(
  deps: TaskDeps,
  claim: ClaimedTask,
  error: { code: string; message: string },
  path: SettlementPath,
): Promise<TaskRow | null> {
  const failed = await deps.db.transaction(async (tx) => {
    const task = await markFailed(tx, claim.task.id, claim.lease, error, path);
    if (!task) return null;
    if ((await releaseHold(tx, task.id)) === null) throw new SettlementConflictError(task.id, 'its hold is not open');
    await deps.onSettled?.(tx, [{ task, path }]);
    return task;
  });
  if (failed) await deleteLeftoverFiles(deps, failed);
  return failed;
}

/** Cancels a live task and releases its hold; null when the task had already reached a terminal state. */
export async function cancelLiveTask(deps: TaskDeps, taskId: string, path: SettlementPath): Promise<TaskRow | null> {
  const canceled = await deps.db.transaction(async (tx) => {
    const task = await markCanceled(tx, taskId, path);
    if (!task) return null;
    if ((await releaseHold(tx, task.id)) === null) throw new SettlementConflictError(task.id, 'its hold is not open');
    await deps.onSettled?.(tx, [{ task, path }]);
    return task;
  });
  if (canceled) await deleteLeftoverFiles(deps, canceled);
  return canceled;
}
