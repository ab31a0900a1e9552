import type { Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { LEASE_FREE, LEASE_LIVE, takeLease } from './lease.js';
import { taskColumns } from './taskColumns.js';

export interface OverdueTask extends TaskRow {
  lease_live: boolean;
  stuck_for_ms: number;
}

// Processing past the timeout since processing started (or since the last update when that is unknown): the
// caller's timeout, or else each task's own (its model's), so a 20-minute video is not cut off at an image's 5
// minutes. Pending past its deadline: never accepted by the provider in PENDING_DEADLINE_MS.
const SINCE = `CASE WHEN status = 'processing' THEN COALESCE(processing_started_at, updated_at) ELSE created_at END`;
const OVERDUE = `(
     (status = 'processing' AND COALESCE(processing_started_at, updated_at) < now() - make_interval(secs => COALESCE($1::double precision, timeout_ms) / 1000))
  OR (status = 'pending' AND deadline_at < now()))`;

/** Live tasks past their timeout (processing) or deadline (pending), longest overdue first. */
export async function findOverdueTasks(db: Queryable, timeoutMs: number | undefined, limit: number): Promise<OverdueTask[]> {
  const { rows } = await db.query<OverdueTask>(
    `SELECT ${taskColumns()}, ${LEASE_LIVE} AS lease_live, (extract(epoch FROM now() - ${SINCE}) * 1000)::bigint AS stuck_for_ms
       FROM tasks WHERE ${OVERDUE} ORDER BY ${SINCE} LIMIT $2`,
    [timeoutMs ?? null, limit],
  );
  return rows;
}

/** Leases one overdue task, unless it is leased or no longer overdue. */
export async function claimOverdueTask(
  db: Queryable,
  taskId: string,
  lease: string,
  leaseMs: number,
  timeoutMs: number | undefined,
): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks SET ${takeLease('$3', '$4')}
      WHERE id = (SELECT id FROM tasks WHERE id = $2 AND ${OVERDUE} AND ${LEASE_FREE} FOR UPDATE SKIP LOCKED)
      RETURNING ${taskColumns()}`,
    [timeoutMs ?? null, taskId, lease, leaseMs],
  );
  return rows[0] ?? null;
}
