import type { Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { RELEASE_LEASE } from './lease.js';
import { taskColumns } from './taskColumns.js';

/**
 * Records a provider task id we never wrote down: the process died after the provider accepted the first dispatch
 * and before it recorded the id. The callback proves the provider holds the task, so it is adopted whatever lease
 * the dead dispatcher left behind; a live dispatcher's own fenced write then misses, and no second submission is made.
 */
export async function adoptProviderTask(db: Queryable, taskId: string, providerTaskId: string, firstCheckMs: number): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks SET status = 'processing', provider_task_id = $2, attempts = 1, progress = 0,
            dispatched_at = now(), processing_started_at = now(),
            deadline_at = now() + make_interval(secs => timeout_ms::double precision / 1000),
            next_check_at = now() + make_interval(secs => $3::double precision / 1000),
            ${RELEASE_LEASE}
      WHERE id = $1 AND status = 'pending' AND attempts = 0 AND provider_task_id IS NULL
      RETURNING ${taskColumns()}`,
    [taskId, providerTaskId, firstCheckMs],
  );
  return rows[0] ?? null;
}
