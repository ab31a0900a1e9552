import type { Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { LEASE_FREE, LEASE_LIVE, takeLease } from './lease.js';
import { taskColumns } from './taskColumns.js';

export interface TimedOutTask extends TaskRow {
  lease_live: boolean;
  stuck_for_ms: number;
}

// Stuck since processing started, or since the last update when that is unknown. The timeout is the caller's, or
// else each task's own (its model's), so a 20-minute video is not cut off at an image's 5 minutes.
const SINCE = 'COALESCE(processing_started_at, updated_at)';
const TIMED_OUT = `status = 'processing' AND ${SINCE} < now() - make_interval(secs => COALESCE($1::double precision, timeout_ms) / 1000)`;

export async function findTimedOutTasks(db: Queryable, timeoutMs: number | undefined, limit: number): Promise<TimedOutTask[]> {
  const { rows } = await db.query<TimedOutTask>(
    `SELECT ${taskColumns()}, ${LEASE_LIVE} AS lease_live, (extract(epoch FROM now() - ${SINCE}) * 1000)::bigint AS stuck_for_ms
       FROM tasks WHERE ${TIMED_OUT} ORDER BY ${SINCE} LIMIT $2`,
    [timeoutMs ?? null, limit],
  );
  return rows;
}

/** Leases one timed-out task, unless it is leased or no longer timed out. */
export async function claimTimedOutTask(
  db: Queryable,
  taskId: string,
  lease: string,
  leaseMs: number,
  timeoutMs: number | undefined,
): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks SET ${takeLease('$3', '$4')}
      WHERE id = (SELECT id FROM tasks WHERE id = $2 AND ${TIMED_OUT} AND ${LEASE_FREE} FOR UPDATE SKIP LOCKED)
      RETURNING ${taskColumns()}`,
    [timeoutMs ?? null, taskId, lease, leaseMs],
  );
  return rows[0] ?? null;
}
