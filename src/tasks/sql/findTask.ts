import { prepared, type Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { taskColumns } from './taskColumns.js';

const FIND_TASK = prepared('findTask', `SELECT ${taskColumns()} FROM tasks WHERE id = $1`);
const FIND_BY_PROVIDER_TASK = prepared('findTaskByProviderTaskId', `SELECT ${taskColumns()} FROM tasks WHERE provider = $1 AND provider_task_id = $2`);

export async function findTask(db: Queryable, taskId: string): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(FIND_TASK, [taskId]);
  return rows[0] ?? null;
}

export async function findTaskByIdempotencyKey(db: Queryable, userId: string, key: string): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(`SELECT ${taskColumns()} FROM tasks WHERE user_id = $1 AND idempotency_key = $2`, [userId, key]);
  return rows[0] ?? null;
}

export async function findTaskByProviderTaskId(db: Queryable, provider: string, providerTaskId: string): Promise<TaskRow | null> {
  const { rows } = await db.query<TaskRow>(FIND_BY_PROVIDER_TASK, [provider, providerTaskId]);
  return rows[0] ?? null;
}
