import { agoMs, beforeMicrosKey, keysetPage, pageMicros, type NewestFirstKey, type Queryable } from '../../db/index.js';
import type { TaskStatus } from '../types.js';

export interface TaskListQuery {
  status?: TaskStatus;
  /** Only stuck tasks: processing longer than processingMs, or pending (since creation) longer than pendingMs. */
  stuck?: { processingMs: number; pendingMs: number };
  userId?: string;
  limit: number;
  /** The page after this key (the last row of the previous page); the first page without one. */
  after?: NewestFirstKey | null;
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

/** Stuck tasks come oldest first in their state: the row comes after the key in (age start, id) order. */
const AFTER_AGE_KEY = `($6::bigint IS NULL OR (${AGE_FROM}, id) > (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))`;

/**
 * Tasks for operators, newest first, or for stuck=true oldest first (the ones most in need of attention), a page at
 * a time by keyset: each page is an ordered index scan (tasks_created_idx, tasks_status_created_idx, tasks_user_idx,
 * or the live-task indexes for stuck ones) that stops after `limit` rows, whatever the history.
 */
export async function listTasksForAdmin(db: Queryable, q: TaskListQuery): Promise<{ tasks: TaskListRow[]; next: NewestFirstKey | null }> {
  const params = [q.status ?? null, Boolean(q.stuck), q.stuck?.processingMs ?? 0, q.stuck?.pendingMs ?? 0, q.userId ?? null];
  const [order, after, key] = q.stuck
    ? [`${AGE_FROM} ASC, id ASC`, AFTER_AGE_KEY, pageMicros(AGE_FROM)]
    : ['created_at DESC, id DESC', beforeMicrosKey('created_at', '$6', '$7'), pageMicros('created_at')];
  const { rows } = await db.query<TaskListRow & { page_us: number }>(
    `SELECT id, user_id, type, model, status, progress, attempts, max_attempts, provider_task_id, error_code,
            error_message, late_result, settled_by, lease_owner, lease_expires_at, next_check_at, dispatched_at,
            processing_started_at, deadline_at, created_at, updated_at, completed_at,
            (extract(epoch FROM now() - ${AGE_FROM}) * 1000)::bigint AS age_ms, ${key}
       FROM tasks
      WHERE ${FILTERS} AND ${after}
      ORDER BY ${order}
      LIMIT $8`,
    [...params, q.after?.at ?? null, q.after?.id ?? null, q.limit + 1],
  );
  const { items, next } = keysetPage(rows, q.limit, (t) => t.id);
  return { tasks: items, next };
}

/** How many tasks the filters match; bounded for stuck tasks (live ones) and for one user's (their index). */
export async function countTasksForAdmin(db: Queryable, q: Omit<TaskListQuery, 'limit' | 'after'>): Promise<number> {
  const params = [q.status ?? null, Boolean(q.stuck), q.stuck?.processingMs ?? 0, q.stuck?.pendingMs ?? 0, q.userId ?? null];
  const { rows } = await db.query<{ total: number }>(`SELECT count(*)::integer AS total FROM tasks WHERE ${FILTERS}`, params);
  return rows[0]!.total;
}
