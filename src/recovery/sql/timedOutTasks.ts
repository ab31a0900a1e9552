import type { Queryable } from '../../db/index.js';
import type { TaskRow } from '../../tasks/index.js';
import { LEASE_FREE, LEASE_LIVE } from './interval.js';

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
    `SELECT *, ${LEASE_LIVE} AS lease_live, (extract(epoch FROM now() - ${SINCE}) * 1000)::bigint AS stuck_for_ms
       FROM tasks WHERE ${TIMED_OUT} ORDER BY ${SINCE} LIMIT $2`,
    [timeoutMs ?? null, limit],
  );
  return rows;
}

export async function claimTimedOutTask(
  db: Queryable,
  taskId: string,
  lease: string,
  leaseMs: number,
  timeoutMs: number | undefined,
): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks SET lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4::double precision / 1000)
      WHERE id = (SELECT id FROM tasks WHERE id = $2 AND ${TIMED_OUT} AND ${LEASE_FREE} FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [timeoutMs ?? null, taskId, lease, leaseMs],
  );
  return rows[0] ?? null;
}
