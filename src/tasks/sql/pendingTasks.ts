import { afterPageKey, agoMs, filterOnly, pageAt, type PageKey, type Paged, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { LEASE_FREE, LEASE_LIVE, takeLease } from './lease.js';
import { taskColumns } from './taskColumns.js';

export interface PendingTask extends TaskRow, Paged {
  lease_live: boolean;
  /** A createTask left less than DISPATCH_DOUBT_MS ago without an answer: it may have created a provider task. */
  in_doubt: boolean;
  dispatch_started_ago_ms: number | null;
}

export interface PendingQuery {
  /** Only tasks pending (since creation) for longer than this; omitted with taskId for an operator's explicit retry. */
  olderThanMs?: number;
  taskId?: string;
  /** DISPATCH_DOUBT_MS. */
  doubtMs: number;
  limit: number;
  /** The next page: tasks after this key in (created_at, id) order. */
  after?: PageKey;
}

/** Pending tasks to re-dispatch, oldest first, with what the race protection needs to know about each. */
export async function findPendingTasks(db: Queryable, q: PendingQuery): Promise<PendingTask[]> {
  const { rows } = await db.query<PendingTask>(
    `SELECT ${taskColumns()}, ${LEASE_LIVE} AS lease_live,
            (dispatch_started_at IS NOT NULL AND dispatch_started_at > ${agoMs('$3')}) AS in_doubt,
            (extract(epoch FROM now() - dispatch_started_at) * 1000)::bigint AS dispatch_started_ago_ms,
            ${pageAt('created_at')}
       FROM tasks
      WHERE status = 'pending'
        AND ($1::uuid IS NULL OR id = $1::uuid)
        AND ($2::double precision IS NULL OR created_at < ${agoMs('$2')})
        AND ${afterPageKey('created_at', '$5', '$6')}
      ORDER BY created_at, id
      LIMIT $4`,
    [q.taskId ?? null, q.olderThanMs ?? null, q.doubtMs, q.limit, q.after?.at ?? null, q.after?.id ?? null],
  );
  return rows;
}

/** Leases a pending task unless it is leased or its last createTask is still in doubt (checked in the same statement). */
export async function claimPendingTask(
  db: Queryable,
  taskId: string,
  lease: string,
  leaseMs: number,
  doubtMs: number,
): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks SET ${takeLease('$2', '$3')}
      WHERE id = (SELECT id FROM tasks
                   WHERE id = $1 AND ${filterOnly("status = 'pending'")} AND ${LEASE_FREE}
                     AND (dispatch_started_at IS NULL OR dispatch_started_at <= ${agoMs('$4')})
                   FOR UPDATE SKIP LOCKED)
      RETURNING ${taskColumns()}`,
    [taskId, lease, leaseMs, doubtMs],
  );
  return rows[0] ?? null;
}
