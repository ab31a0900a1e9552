import { deleteAssets, ingestResults } from './ingest.js';
import { findTask } from './sql/findTask.js';
import { markLateResult } from './sql/markLateResult.js';
import type { TaskDeps } from './types.js';

export type LateResultOutcome = 'recorded' | 'already_recorded' | 'not_eligible';

/**
 * A provider success that arrives after the task was failed for timeout: the asset is stored and linked so the
 * user can still have it, and the user stays uncharged (the hold was released when the task failed).
 */
export async function recordLateResult(deps: TaskDeps, taskId: string, resultUrls: string[]): Promise<LateResultOutcome> {
  const task = await findTask(deps.db, taskId);
  if (!task || task.status !== 'failed' || task.error_code !== 'timeout') return 'not_eligible';
  if (task.late_result) return 'already_recorded';
  const keys = await ingestResults(deps, task, resultUrls);
  const linked = await markLateResult(deps.db, taskId, keys);
  if (!linked) {
    await deleteAssets(deps, keys);
    return 'already_recorded';
  }
  deps.logger.info({ taskId }, 'late provider result stored; the user is not charged');
  return 'recorded';
}
