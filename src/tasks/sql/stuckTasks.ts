import { afterPageKey, agoMs, filterOnly, pageAt, prepared, type PageKey, type Paged, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { LEASE_FREE, LEASE_LIVE, takeLease } from './lease.js';
import { taskColumns } from './taskColumns.js';

export interface StuckTask extends TaskRow, Paged {
  lease_live: boolean;
}

const STUCK = (param: string) => `status = 'processing' AND processing_started_at < ${agoMs(param)}`;

const FIND_STUCK = prepared(
  'findStuckTasks',
  `SELECT ${taskColumns()}, ${LEASE_LIVE} AS lease_live, ${pageAt('processing_started_at')} FROM tasks
    WHERE ${STUCK('$1')} AND ${afterPageKey('processing_started_at', '$3', '$4')}
    ORDER BY processing_started_at, id LIMIT $2`,
);

// The stuck condition is a filter only (filterOnly): the given ids are found by the primary key. Statistics taken
// before a backlog went processing (a mass dispatch after an outage, which a large history does not make autoanalyze
// notice) made the planner walk every processing task of an index on status for each claim of 64, checking the ids
// as it went: 20 to 60 ms a claim, growing with the backlog, against 2 to 6 ms.
const CLAIM_STUCK = prepared(
  'claimStuckTasks',
  `UPDATE tasks SET ${takeLease('$2', '$3')}
    WHERE id IN (SELECT id FROM tasks WHERE id = ANY($1::uuid[]) AND ${filterOnly(STUCK('$4'))} AND ${LEASE_FREE} FOR UPDATE SKIP LOCKED)
    RETURNING ${taskColumns()}`,
);

/**
 * Tasks processing for longer than stuckAfterMs, oldest first, after the given page key. Leased ones are included
 * so a run can say why it skipped them.
 */
export async function findStuckTasks(db: Queryable, stuckAfterMs: number, limit: number, after?: PageKey): Promise<StuckTask[]> {
  const { rows } = await db.query<StuckTask>(FIND_STUCK, [stuckAfterMs, limit, after?.at ?? null, after?.id ?? null]);
  return rows;
}

/**
 * Leases those of the given tasks that are still stuck and unleased, in one statement, so a task settled or
 * re-dispatched meanwhile is left alone. SKIP LOCKED: a task another worker is writing right now is not waited for.
 */
export async function claimStuckTasks(
  db: Queryable,
  taskIds: readonly string[],
  lease: string,
  leaseMs: number,
  stuckAfterMs: number,
): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(CLAIM_STUCK, [taskIds, lease, leaseMs, stuckAfterMs]);
  return rows;
}
