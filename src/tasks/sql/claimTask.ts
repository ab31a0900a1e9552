import { prepared, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { taskColumns } from './taskColumns.js';

const CLAIM_TASK = prepared(
  'claimTask',
  `UPDATE tasks SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
    WHERE id = (SELECT id FROM tasks
                 WHERE id = $1 AND status IN ('pending', 'processing')
                   AND (lease_expires_at IS NULL OR lease_expires_at < now())
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
