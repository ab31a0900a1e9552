import { prepared, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { LEASE_FREE, takeLease } from './lease.js';
import { taskColumns } from './taskColumns.js';

const CLAIM_DUE = prepared(
  'claimDueTasks',
  `UPDATE tasks SET ${takeLease('$1', '$2')}
    WHERE id IN (SELECT id FROM tasks
                  WHERE status IN ('pending', 'processing') AND next_check_at <= now()
                    AND ${LEASE_FREE}
                  ORDER BY next_check_at
                  LIMIT $3
                  FOR UPDATE SKIP LOCKED)
    RETURNING ${taskColumns()}`,
);

/**
 * Leases up to `limit` live tasks whose next check is due, oldest due first. SKIP LOCKED lets any number of workers
 * claim side by side without waiting on each other or taking the same task.
 */
export async function claimDueTasks(db: Queryable, lease: string, leaseMs: number, limit: number): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(CLAIM_DUE, [lease, leaseMs, limit]);
  return rows;
}
