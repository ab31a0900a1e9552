import type { Queryable } from '../../db/index.js';
import type { TaskStatus } from '../../tasks/index.js';
import { agoMs } from './interval.js';

export interface TaskListQuery {
  status?: TaskStatus;
  /** Only stuck tasks: processing longer than processingMs, or pending (since creation) longer than pendingMs. */
  stuck?: { processingMs: number; pendingMs: number };
  /** A user id or an e-mail address. */
  user?: string;
  limit: number;
  offset: number;
}

export interface TaskListRow {
  id: string;
  user_id: string;
  email: string;
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

const AGE_FROM = `CASE WHEN t.status = 'processing' THEN COALESCE(t.processing_started_at, t.updated_at) ELSE t.created_at END`;

const FILTERS = `
      ($1::text IS NULL OR t.status = $1)
  AND ($2::boolean IS NOT TRUE
       OR (t.status = 'processing' AND COALESCE(t.processing_started_at, t.updated_at) < ${agoMs('$3')})
       OR (t.status = 'pending' AND t.created_at < ${agoMs('$4')}))
  AND ($5::text IS NULL OR u.email = lower($5) OR t.user_id::text = $5)`;

/** Tasks for operators, newest first, or for stuck=true oldest first (the ones most in need of attention). */
export async function listTasks(db: Queryable, q: TaskListQuery): Promise<{ tasks: TaskListRow[]; total: number }> {
  const params = [q.status ?? null, Boolean(q.stuck), q.stuck?.processingMs ?? 0, q.stuck?.pendingMs ?? 0, q.user ?? null];
  const order = q.stuck ? `${AGE_FROM} ASC, t.id` : 't.created_at DESC, t.id';
  const { rows } = await db.query<TaskListRow>(
    `SELECT t.id, t.user_id, u.email, t.type, t.model, t.status, t.progress, t.attempts, t.max_attempts,
            t.provider_task_id, t.error_code, t.error_message, t.late_result, t.settled_by, t.lease_owner,
            t.lease_expires_at, t.next_check_at, t.dispatched_at, t.processing_started_at, t.deadline_at,
            t.created_at, t.updated_at, t.completed_at,
            (extract(epoch FROM now() - ${AGE_FROM}) * 1000)::bigint AS age_ms
       FROM tasks t JOIN users u ON u.id = t.user_id
      WHERE ${FILTERS}
      ORDER BY ${order}
      LIMIT $6 OFFSET $7`,
    [...params, q.limit, q.offset],
  );
  const count = await db.query<{ total: number }>(
    `SELECT count(*)::integer AS total FROM tasks t JOIN users u ON u.id = t.user_id WHERE ${FILTERS}`,
    params,
  );
  return { tasks: rows, total: count.rows[0]!.total };
}
