import { prepared, type Queryable } from '../../db/index.js';
import type { TaskStatus } from '../types.js';

export interface WatchedTask {
  id: string;
  status: TaskStatus;
  progress: number;
  /** Live and not checked with the provider for nudgeMs (the status poll's guard): worth asking the provider now. */
  due: boolean;
}

const WATCH = prepared(
  'watchTasks',
  `SELECT id, status, progress,
          $2::double precision > 0 AND (
            (status = 'processing' AND COALESCE(last_checked_at, dispatched_at) < now() - make_interval(secs => $2::double precision / 1000))
            OR (status = 'pending' AND next_check_at <= now())) AS due
     FROM tasks WHERE id = ANY($1::uuid[])`,
);

/**
 * The event streams' change query: one indexed primary-key lookup for every watched task at once, so the cost is
 * one statement per interval per process however many streams are open. `due` is the status poll's "not checked
 * lately" guard, which the status poll reads through this query too.
 */
export async function watchTasks(db: Queryable, taskIds: string[], nudgeMs: number): Promise<WatchedTask[]> {
  const { rows } = await db.query<WatchedTask>(WATCH, [taskIds, nudgeMs]);
  return rows;
}
