import type { Queryable } from '../db/index.js';
import { countTasksForAdmin, type TaskListQuery } from './sql/listTasksForAdmin.js';
import { readTaskCounts } from './taskCounts.js';

/**
 * How many tasks the admin list's filters match, at a cost that does not grow with history: stuck ones are live
 * tasks (their partial indexes), one user's are counted through their index, and everyone's come from the counters.
 */
export async function adminTaskTotal(db: Queryable, q: Omit<TaskListQuery, 'limit' | 'after'>): Promise<number> {
  if (q.stuck || q.userId) return countTasksForAdmin(db, q);
  const counts = await readTaskCounts(db);
  return counts.filter((c) => q.status === undefined || c.status === q.status).reduce((sum, c) => sum + c.tasks, 0);
}
