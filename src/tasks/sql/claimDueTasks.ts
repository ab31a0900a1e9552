import { prepared, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { LEASE_FREE, takeLease } from './lease.js';
import { taskColumns } from './taskColumns.js';

/** SQL: the row (of `alias`) is a task at the provider: processing, or sent and in doubt. */
const atProvider = (alias: string) =>
  `${alias}.status IN ('pending', 'processing') AND (${alias}.status = 'processing' OR ${alias}.dispatch_started_at IS NOT NULL)`;

// Due tasks take turns: the oldest due check of a processing task, then every user's oldest due pending task, then
// the second oldest check, then every user's second pending task, and so on; so one user's burst of thousands of
// submissions cannot hold back another user's first task, and neither checks nor dispatches starve the other. A user
// with USER_MAX_ACTIVE_TASKS ($4, 0: no cap) tasks at the provider has none of their pending tasks taken.
const CLAIM_DUE = prepared(
  'claimDueTasks',
  `WITH checks AS (
     SELECT id, row_number() OVER (ORDER BY next_check_at, id) AS turn, next_check_at FROM (
       SELECT id, next_check_at FROM tasks
        WHERE status = 'processing' AND next_check_at <= now() AND ${LEASE_FREE}
        ORDER BY next_check_at LIMIT $3) oldest
   ), sends AS (
     SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY next_check_at, id) AS turn, next_check_at FROM tasks p
      WHERE status = 'pending' AND next_check_at <= now() AND ${LEASE_FREE}
        AND ($4::integer = 0 OR (SELECT count(*) FROM tasks a WHERE a.user_id = p.user_id AND a.id <> p.id AND ${atProvider('a')}) < $4::integer)
   ), due AS (
     SELECT id, turn, next_check_at FROM checks
     UNION ALL
     (SELECT id, turn, next_check_at FROM sends ORDER BY turn, next_check_at LIMIT $3)
   )
   UPDATE tasks SET ${takeLease('$1', '$2')}
    WHERE id IN (SELECT t.id FROM tasks t
                  WHERE t.id IN (SELECT id FROM due ORDER BY turn, next_check_at LIMIT $3)
                    AND t.status IN ('pending', 'processing') AND (t.lease_expires_at IS NULL OR t.lease_expires_at < now())
                  FOR UPDATE SKIP LOCKED)
    RETURNING ${taskColumns()}`,
);

/**
 * Leases up to `limit` live tasks whose next check is due, in turns: checks of processing tasks alternating with
 * pending tasks taken in turns across users (fair dispatch), skipping users at USER_MAX_ACTIVE_TASKS. SKIP LOCKED lets any number of workers claim side
 * by side without waiting on each other or taking the same task.
 */
export async function claimDueTasks(db: Queryable, lease: string, leaseMs: number, limit: number, userMaxActive = 0): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(CLAIM_DUE, [lease, leaseMs, limit, userMaxActive]);
  return rows;
}

const COUNT_AT_PROVIDER = prepared(
  'countTasksAtProvider',
  `SELECT count(*)::integer AS n FROM tasks t WHERE t.user_id = $1 AND t.id <> $2 AND ${atProvider('t')}`,
);

/** How many of the user's other tasks the provider holds or may hold (processing, or sent and in doubt). */
export async function countTasksAtProvider(db: Queryable, userId: string, exceptTaskId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(COUNT_AT_PROVIDER, [userId, exceptTaskId]);
  return rows[0]!.n;
}
