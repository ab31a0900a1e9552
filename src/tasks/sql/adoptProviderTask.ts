import { afterMs, filterOnly, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { RELEASE_LEASE } from './lease.js';
import { taskColumns } from './taskColumns.js';

/**
 * Records a provider task id we never wrote down (a createTask whose answer was lost, or a process that died between
 * the provider's acceptance and our record), once the provider itself has confirmed that the provider task belongs
 * to this task. It is adopted whatever lease a dispatcher left behind: that dispatcher's own fenced write then misses.
 * The unique (provider, provider_task_id) index refuses an id another task already holds.
 */
export async function adoptProviderTask(db: Queryable, taskId: string, providerTaskId: string, firstCheckMs: number): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks SET status = 'processing', provider_task_id = $2, attempts = GREATEST(attempts, 1), progress = 0,
            dispatched_at = now(), processing_started_at = now(), dispatch_started_at = NULL,
            deadline_at = now() + make_interval(secs => timeout_ms::double precision / 1000),
            next_check_at = ${afterMs('$3')},
            ${RELEASE_LEASE}
      WHERE id = $1 AND ${filterOnly("status = 'pending' AND provider_task_id IS NULL")}
      RETURNING ${taskColumns()}`,
    [taskId, providerTaskId, firstCheckMs],
  );
  return rows[0] ?? null;
}
