import type { Queryable } from '../../db/index.js';
import type { TaskRow } from '../../tasks/index.js';
import { agoMs, LEASE_FREE, LEASE_LIVE } from './interval.js';

export interface StuckTask extends TaskRow {
  lease_live: boolean;
}

const STUCK = (param: string) => `status = 'processing' AND processing_started_at < ${agoMs(param)}`;

/** Tasks processing for longer than stuckAfterMs, oldest first. Leased ones are included so a run can say why it skipped them. */
export async function findStuckTasks(db: Queryable, stuckAfterMs: number, limit: number): Promise<StuckTask[]> {
  const { rows } = await db.query<StuckTask>(
    `SELECT *, ${LEASE_LIVE} AS lease_live FROM tasks WHERE ${STUCK('$1')} ORDER BY processing_started_at LIMIT $2`,
    [stuckAfterMs, limit],
  );
  return rows;
}

/** Leases a task only while it is still stuck and unleased, so a task settled or re-dispatched meanwhile is left alone. */
export async function claimStuckTask(db: Queryable, taskId: string, lease: string, leaseMs: number, stuckAfterMs: number): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
      WHERE id = (SELECT id FROM tasks WHERE id = $1 AND ${STUCK('$4')} AND ${LEASE_FREE} FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [taskId, lease, leaseMs, stuckAfterMs],
  );
  return rows[0] ?? null;
}
