import { filterOnly, prepared, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { LEASE_FREE, takeLease } from './lease.js';
import { taskColumns } from './taskColumns.js';

const CLAIM_TASK = prepared(
  'claimTask',
  `UPDATE tasks SET ${takeLease('$2', '$3')}
    WHERE id = (SELECT id FROM tasks
                 WHERE id = $1 AND ${filterOnly("status IN ('pending', 'processing')")}
                   AND ${LEASE_FREE}
                 FOR UPDATE SKIP LOCKED)
    RETURNING ${taskColumns()}`,
);

/**
 * Takes the lease on one live task. SKIP LOCKED makes a concurrent claimer give up at once instead of queueing
 * behind us; a live lease held by someone else also answers null.
 */
export async function claimTask(db: Queryable, taskId: string, lease: string, leaseMs: number): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(CLAIM_TASK, [taskId, lease, leaseMs]);
  return rows[0] ?? null;
}
