import type { Queryable } from '../../db/index.js';
import type { TaskRow } from '../../tasks/index.js';
import { agoMs } from './interval.js';

/**
 * Tasks failed for timeout within the window whose provider task may still deliver. Older ones are not asked
 * about any more: providers keep task records for a limited time, and the user has long been refunded.
 */
export async function findLateResultCandidates(db: Queryable, windowMs: number, limit: number): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(
    `SELECT * FROM tasks
      WHERE status = 'failed' AND error_code = 'timeout' AND NOT late_result AND provider_task_id IS NOT NULL
        AND completed_at > ${agoMs('$1')}
      ORDER BY completed_at
      LIMIT $2`,
    [windowMs, limit],
  );
  return rows;
}
