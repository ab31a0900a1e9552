import { afterPageKey, agoMs, pageAt, type PageKey, type Paged, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { taskColumns } from './taskColumns.js';

export type LateResultCandidate = TaskRow & Paged;

/**
 * Tasks failed for timeout within the window whose provider task may still deliver. Older ones are not asked
 * about any more: providers keep task records for a limited time, and the user has long been refunded.
 */
export async function findLateResultCandidates(
  db: Queryable,
  windowMs: number,
  limit: number,
  after?: PageKey,
): Promise<LateResultCandidate[]> {
  const { rows } = await db.query<LateResultCandidate>(
    `SELECT ${taskColumns()}, ${pageAt('completed_at')} FROM tasks
      WHERE status = 'failed' AND error_code = 'timeout' AND NOT late_result AND provider_task_id IS NOT NULL
        AND completed_at > ${agoMs('$1')} AND ${afterPageKey('completed_at', '$3', '$4')}
      ORDER BY completed_at, id
      LIMIT $2`,
    [windowMs, limit, after?.at ?? null, after?.id ?? null],
  );
  return rows;
}
