import type { NewestFirstKey, Queryable } from '../db/index.js';
import type { AssetStore } from '../storage/index.js';
import { findUserTasks, type UserTaskQuery } from './sql/findUserTasks.js';
import { taskView, type TaskView } from './view.js';

/** "My tasks": a user's tasks as GET /api/v1/tasks/:taskId shows each, newest first, keyset-paged. */
export async function listUserTasks(
  db: Queryable,
  store: AssetStore,
  query: UserTaskQuery,
): Promise<{ tasks: (TaskView & { userId: string })[]; next: NewestFirstKey | null }> {
  const { rows, next } = await findUserTasks(db, query);
  return { tasks: await Promise.all(rows.map((row) => taskView(row, store))), next };
}
