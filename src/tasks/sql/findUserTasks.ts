import { beforeMicrosKey, keysetPage, pageMicros, type NewestFirstKey, type Queryable } from '../../db/index.js';
import type { TaskRow, TaskStatus } from '../types.js';
import { taskColumns } from './taskColumns.js';

// (user_id, created_at DESC, id DESC) and its status twin serve both shapes: each page is an index range.
const LIST = `
  SELECT ${taskColumns()}, ${pageMicros('created_at')}
  FROM tasks
  WHERE user_id = $1 AND ($2::text IS NULL OR status = $2) AND ${beforeMicrosKey('created_at', '$3', '$4')}
  ORDER BY created_at DESC, id DESC
  LIMIT $5`;

export interface UserTaskQuery {
  userId: string;
  status?: TaskStatus;
  after: NewestFirstKey | null;
  limit: number;
}

/** One user's tasks, newest first, a page after the given key; `next` is the key of the page after this one. */
export async function findUserTasks(db: Queryable, q: UserTaskQuery): Promise<{ rows: TaskRow[]; next: NewestFirstKey | null }> {
  const { rows } = await db.query<TaskRow & { page_us: number }>(LIST, [q.userId, q.status ?? null, q.after?.at ?? null, q.after?.id ?? null, q.limit + 1]);
  const { items, next } = keysetPage(rows, q.limit, (t) => t.id);
  return { rows: items, next };
}
