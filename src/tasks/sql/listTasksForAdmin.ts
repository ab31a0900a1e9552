import { agoMs, type Queryable } from '../../db/index.js';
import type { TaskStatus } from '../types.js';

export interface TaskListQuery {
  status?: TaskStatus;
  /** Only stuck tasks: processing longer than processingMs, or pending (since creation) longer than pendingMs. */
  stuck?: { processingMs: number; pendingMs: number };
  userId?: string;
  limit: number;
  offset: number;
}

export interface TaskListRow {
  id: string;
  user_id: string;
  type: string;
  model: string;
  status: TaskStatus;
  progress: number;
  attempts: number;
  max_attempts: number;
  provider_task_id: string | null;
  error_code: string | null;
  error_message: string | null;
  late_result: boolean;
  settled_by: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  next_check_at: Date | null;
  dispatched_at: Date | null;
  processing_started_at: Date | null;
  deadline_at: Date | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  /** How long the task has been in its current live state (processing: since it started; pending: since created). */
  age_ms: number;
}

const AGE_FROM = `CASE WHEN status = 'processing' THEN COALESCE(processing_started_at, updated_at) ELSE created_at END`;

const FILTERS = `
      ($1::text IS NULL OR status = $1)
  AND ($2::boolean IS NOT TRUE
       OR (status = 'processing' AND COALESCE(processing_started_at, updated_at) < ${agoMs('$3')})
       OR (status = 'pending' AND created_at < ${agoMs('$4')}))
  AND ($5::uuid IS NULL OR user_id = $5::uuid)`;

/** Tasks for operators, newest first, or for stuck=true oldest first (the ones most in need of attention). */
export async function listTasksForAdmin(db: Queryable, q: TaskListQuery): Promise<{ tasks: TaskListRow[]; total: number }> {
  const params = [q.status ?? null, Boolean(q.stuck), q.stuck?.processingMs ?? 0, q.stuck?.pendingMs ?? 0, q.userId ?? null];
  const order = q.stuck ? `${AGE_FROM} ASC, id` : 'created_at DESC, id';
  const { rows } = await db.query<TaskListRow>(
    `SELECT id, user_id, type, model, status, progress, attempts, max_attempts, provider_task_id, error_code,
            error_message, late_result, settled_by, lease_owner, lease_expires_at, next_check_at, dispatched_at,
            processing_started_at, deadline_at, created_at, updated_at, completed_at,
            (extract(epoch FROM now() - ${AGE_FROM}) * 1000)::bigint AS age_ms
       FROM tasks
      WHERE ${FILTERS}
      ORDER BY ${order}
      LIMIT $6 OFFSET $7`,
    [...params, q.limit, q.offset],
  );
  const count = await db.query<{ total: number }>(`SELECT count(*)::integer AS total FROM tasks WHERE ${FILTERS}`, params);
  return { tasks: rows, total: count.rows[0]!.total };
}
