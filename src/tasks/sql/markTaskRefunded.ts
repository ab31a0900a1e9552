import { filterOnly, prepared, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { taskColumns } from './taskColumns.js';

// Only a completed task not yet refunded matches, so of two concurrent refunds one marks the task and the other
// waits for its row lock, re-checks, and matches nothing.
const MARK = prepared(
  'markTaskRefunded',
  `UPDATE tasks SET refunded_at = now(), refund_reason = $2, updated_at = now()
   WHERE id = $1 AND ${filterOnly("status = 'completed' AND refunded_at IS NULL")}
   RETURNING ${taskColumns()}`,
);

/** Marks a completed task refunded; null when it is not completed or already refunded. */
export async function markTaskRefunded(tx: Queryable, taskId: string, reason: string): Promise<TaskRow | null> {
  const { rows } = await tx.query<TaskRow>(MARK, [taskId, reason]);
  return rows[0] ?? null;
}
