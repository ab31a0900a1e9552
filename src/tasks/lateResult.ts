import { ingestResults } from './ingest.js';
import { findTask } from './sql/findTask.js';
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
  const res = await deps.db.query(
    `UPDATE tasks SET asset_keys = $2, late_result = true, provider_completed_at = now(), updated_at = now()
      WHERE id = $1 AND status = 'failed' AND error_code = 'timeout' AND NOT late_result`,
    [taskId, keys],
  );
  if (res.rowCount === 1) deps.logger.info({ taskId }, 'late provider result stored; the user is not charged');
  return res.rowCount === 1 ? 'recorded' : 'already_recorded';
}
