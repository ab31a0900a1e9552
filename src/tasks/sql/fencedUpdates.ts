import { afterMs, prepared, type Queryable } from '../../db/index.js';
import type { SettlementPath, TaskRow } from '../types.js';
import { RELEASE_LEASE } from './lease.js';
import { taskColumns } from './taskColumns.js';

// Every write below is fenced: it matches only while the caller still holds the lease, so a worker whose lease
// expired and was taken over can never move the task again.


const RECORD_DISPATCHES = prepared(
  'recordDispatches',
  `UPDATE tasks t SET status = 'processing', provider_task_id = d.provider_task_id, attempts = t.attempts + 1,
          progress = 0, dispatched_at = now(), processing_started_at = now(),
          deadline_at = now() + make_interval(secs => t.timeout_ms::double precision / 1000),
          next_check_at = ${afterMs('d.first_check_ms')}, check_count = 0, error_code = NULL, error_message = NULL,
          ${RELEASE_LEASE}
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::double precision[]) AS d(id, lease, provider_task_id, first_check_ms)
    WHERE t.id = d.id AND t.lease_owner = d.lease AND t.status IN ('pending', 'processing')
    RETURNING t.id`,
);

const RESCHEDULE = prepared(
  'rescheduleTask',
  `UPDATE tasks SET next_check_at = ${afterMs('$3')}, check_count = check_count + 1, last_checked_at = now(),
          progress = COALESCE($4, progress),
          provider_errors = provider_errors + CASE WHEN $5::text IS NULL THEN 0 ELSE 1 END,
          error_message = COALESCE($5, error_message),
          status = COALESCE($6, status), ${RELEASE_LEASE}
    WHERE id = $1 AND lease_owner = $2 AND status IN ('pending', 'processing')`,
);

const MARK_FAILED = prepared(
  'markFailed',
  `UPDATE tasks SET status = 'failed', error_code = $3, error_message = $4, completed_at = now(), settled_by = $5,
          next_check_at = NULL, last_checked_at = now(), ${RELEASE_LEASE}
    WHERE id = $1 AND lease_owner = $2 AND status IN ('pending', 'processing')
    RETURNING ${taskColumns()}`,
);

const MARK_CANCELED = prepared(
  'markCanceled',
  `UPDATE tasks SET status = 'canceled', error_code = 'canceled', error_message = 'Canceled by ' || $2::text,
          completed_at = now(), settled_by = $2::text, next_check_at = NULL, ${RELEASE_LEASE}
    WHERE id = $1 AND status IN ('pending', 'processing')
    RETURNING ${taskColumns()}`,
);

export interface Dispatch {
  taskId: string;
  lease: string;
  providerTaskId: string;
  /** When the first status check is due. */
  firstCheckMs: number;
}

/** Records provider acceptances (one task or a group) in one statement; returns the ids whose lease still held. */
export async function recordDispatches(tx: Queryable, dispatches: readonly Dispatch[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ id: string }>(RECORD_DISPATCHES, [
    dispatches.map((d) => d.taskId),
    dispatches.map((d) => d.lease),
    dispatches.map((d) => d.providerTaskId),
    dispatches.map((d) => d.firstCheckMs),
  ]);
  return new Set(rows.map((r) => r.id));
}

/** Leaves the task live and due again after delayMs; a provider error also counts against the task. */
export async function rescheduleTask(
  tx: Queryable,
  taskId: string,
  lease: string,
  change: { delayMs: number; progress?: number; providerError?: string; status?: 'pending' },
): Promise<boolean> {
  const res = await tx.query(
    RESCHEDULE,
    [taskId, lease, change.delayMs, change.progress ?? null, change.providerError ?? null, change.status ?? null],
  );
  return res.rowCount === 1;
}

export async function markFailed(
  tx: Queryable,
  taskId: string,
  lease: string,
  error: { code: string; message: string },
  path: SettlementPath,
): Promise<TaskRow | null> {
  const { rows } = await tx.query<TaskRow>(
    MARK_FAILED,
    [taskId, lease, error.code, error.message, path],
  );
  return rows[0] ?? null;
}

/** Cancel overrides any lease: the row lock orders it against a completion, and the loser's fenced write misses. */
export async function markCanceled(tx: Queryable, taskId: string, path: SettlementPath): Promise<TaskRow | null> {
  const { rows } = await tx.query<TaskRow>(
    MARK_CANCELED,
    [taskId, path],
  );
  return rows[0] ?? null;
}
