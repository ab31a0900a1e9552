import { filterOnly, type Queryable } from '../../db/index.js';

/** Links a late result to a task failed for timeout, once; false when it is no longer such a task or already linked. */
export async function markLateResult(db: Queryable, taskId: string, assetKeys: string[]): Promise<boolean> {
  const res = await db.query(
    `UPDATE tasks SET asset_keys = $2, late_result = true, provider_completed_at = now(), updated_at = now()
      WHERE id = $1 AND ${filterOnly("status = 'failed' AND error_code = 'timeout' AND NOT late_result")}`,
    [taskId, assetKeys],
  );
  return res.rowCount === 1;
}
