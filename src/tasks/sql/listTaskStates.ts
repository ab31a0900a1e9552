import type { Queryable } from '../../db/index.js';
import type { TaskStatus } from '../types.js';

export interface TaskState {
  id: string;
  user_id: string;
  status: TaskStatus;
  refunded: boolean;
}

/** Tasks in id order, a page at a time after the given id (for audits that walk every task). */
export async function listTaskStates(db: Queryable, afterId: string | null, limit: number): Promise<TaskState[]> {
  const { rows } = await db.query<TaskState>(
    `SELECT id, user_id, status, refunded_at IS NOT NULL AS refunded FROM tasks WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
    [afterId, limit],
  );
  return rows;
}
