import { afterMs, filterOnly, prepared, unnestParams, type Queryable } from '../../db/index.js';
import type { SettlementPath, TaskRow } from '../types.js';
import { RELEASE_LEASE } from './lease.js';
import { taskColumns } from './taskColumns.js';

// Every write below is fenced: it matches only while the caller still holds the lease, so a worker whose lease
// expired and was taken over can never move the task again. Each names its rows by id; the state test is a filter
// only (filterOnly), so no index of live tasks is walked instead of the primary key.
const live = (status = 'status') => filterOnly(`${status} IN ('pending', 'processing')`);

const RENEW_LEASE = prepared(
  'renewLease',
  `UPDATE tasks SET lease_expires_at = ${afterMs('$3')}
    WHERE id = $1 AND lease_owner = $2 AND ${live()}`,
);

// Before a file is stored: the lease is renewed and the file's key recorded, so that a process dying before the
// completion links it leaves the key for the next holder to delete. The first file of an ingest replaces the keys of
// an earlier, dead ingest (whose files the caller has just deleted). Concurrent ingests share one statement.
const RECORD_INGEST_KEYS = prepared(
  'recordIngestKeys',
  `UPDATE tasks t SET lease_expires_at = ${afterMs('r.lease_ms')},
          ingest_keys = CASE WHEN r.first THEN ARRAY[r.key] ELSE array_append(t.ingest_keys, r.key) END
     FROM unnest($1::uuid[], $2::text[], $3::double precision[], $4::text[], $5::boolean[]) AS r(id, lease, lease_ms, key, first)
    WHERE t.id = r.id AND t.lease_owner = r.lease AND ${live('t.status')}
    RETURNING t.id`,
);

// Before a createTask leaves: the attempt is counted, the send time recorded (the call may create a provider task
// even if its answer is lost), and the lease renewed to cover the call. A resubmission (a retry of a processing task)
// goes back to pending, forgetting the failed provider task, with a fresh pending deadline.
const MARK_DISPATCH_STARTED = prepared(
  'markDispatchStarted',
  `UPDATE tasks SET dispatch_started_at = now(), attempts = attempts + 1, lease_expires_at = ${afterMs('$3')},
          deadline_at = CASE WHEN status = 'processing' THEN ${afterMs('$4')} ELSE deadline_at END,
          status = 'pending', provider_task_id = NULL, progress = 0, updated_at = now()
    WHERE id = $1 AND lease_owner = $2 AND ${live()}`,
);

const RECORD_DISPATCHES = prepared(
  'recordDispatches',
  `UPDATE tasks t SET status = 'processing', provider_task_id = d.provider_task_id, progress = 0,
          dispatched_at = now(), processing_started_at = now(), dispatch_started_at = NULL,
          deadline_at = now() + make_interval(secs => t.timeout_ms::double precision / 1000),
          next_check_at = ${afterMs('d.first_check_ms')}, check_count = 0, error_code = NULL, error_message = NULL,
          ${RELEASE_LEASE}
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::double precision[]) AS d(id, lease, provider_task_id, first_check_ms)
    WHERE t.id = d.id AND t.lease_owner = d.lease AND ${filterOnly("t.status = 'pending'")}
    RETURNING t.id`,
);

// $7 'refused': the provider answered and created nothing, so the attempt counted at the start is given back and the
// task may be sent again at once; $7 'in_doubt' keeps the send time, so it is not sent again within the doubt.
const RESCHEDULE = prepared(
  'rescheduleTask',
  `UPDATE tasks SET next_check_at = ${afterMs('$3')}, check_count = check_count + 1, last_checked_at = now(),
          progress = COALESCE($4, progress),
          provider_errors = provider_errors + CASE WHEN $5::text IS NULL THEN 0 ELSE 1 END,
          error_message = COALESCE($5, error_message),
          deadline_at = CASE WHEN status = 'processing' AND $6::text = 'pending' THEN ${afterMs('$8')} ELSE deadline_at END,
          status = COALESCE($6, status),
          attempts = attempts - CASE WHEN $7::text = 'refused' THEN 1 ELSE 0 END,
          dispatch_started_at = CASE WHEN $7::text = 'refused' THEN NULL ELSE dispatch_started_at END,
          ${RELEASE_LEASE}
    WHERE id = $1 AND lease_owner = $2 AND ${live()}`,
);

const MARK_FAILED = prepared(
  'markFailed',
  `UPDATE tasks SET status = 'failed', error_code = $3, error_message = $4, completed_at = now(), settled_by = $5,
          next_check_at = NULL, last_checked_at = now(), ${RELEASE_LEASE}
    WHERE id = $1 AND lease_owner = $2 AND ${live()}
    RETURNING ${taskColumns()}`,
);

const MARK_CANCELED = prepared(
  'markCanceled',
  `UPDATE tasks SET status = 'canceled', error_code = 'canceled', error_message = 'Canceled by ' || $2::text,
          completed_at = now(), settled_by = $2::text, next_check_at = NULL, ${RELEASE_LEASE}
    WHERE id = $1 AND ${live()}
    RETURNING ${taskColumns()}`,
);

export interface Dispatch {
  taskId: string;
  lease: string;
  providerTaskId: string;
  /** When the first status check is due. */
  firstCheckMs: number;
}

export interface IngestKey {
  taskId: string;
  lease: string;
  leaseMs: number;
  key: string;
  /** The first file of an ingest: forgets an earlier ingest's keys. */
  first: boolean;
}

/** renewLease, recording the key of the file about to be stored, for one task or a group; returns the ids whose lease held. */
export async function recordIngestKeys(tx: Queryable, records: readonly IngestKey[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ id: string }>(RECORD_INGEST_KEYS, unnestParams(records, ['taskId', 'lease', 'leaseMs', 'key', 'first']));
  return new Set(rows.map((r) => r.id));
}

/** Extends the caller's lease; false when it was lost (taken over, or the task settled), and the caller must stop. */
export async function renewLease(tx: Queryable, taskId: string, lease: string, leaseMs: number): Promise<boolean> {
  return (await tx.query(RENEW_LEASE, [taskId, lease, leaseMs])).rowCount === 1;
}

/** Counts the attempt and records the send time before a createTask; false when the lease was lost. */
export async function markDispatchStarted(tx: Queryable, taskId: string, lease: string, leaseMs: number, pendingDeadlineMs: number): Promise<boolean> {
  return (await tx.query(MARK_DISPATCH_STARTED, [taskId, lease, leaseMs, pendingDeadlineMs])).rowCount === 1;
}

/** Records provider acceptances (one task or a group) in one statement; returns the ids whose lease still held. */
export async function recordDispatches(tx: Queryable, dispatches: readonly Dispatch[]): Promise<Set<string>> {
  const { rows } = await tx.query<{ id: string }>(RECORD_DISPATCHES, unnestParams(dispatches, ['taskId', 'lease', 'providerTaskId', 'firstCheckMs']));
  return new Set(rows.map((r) => r.id));
}

export interface Reschedule {
  delayMs: number;
  progress?: number;
  /** A provider error to count against the task and show as its last error. */
  providerError?: string;
  /**
   * Back to pending: a retry of a processing task that was not sent now. It gets a fresh pending deadline, as it
   * would have had it been sent (markDispatchStarted); the old one is the processing deadline it may have missed.
   */
  status?: { to: 'pending'; pendingDeadlineMs: number };
  /** What became of a createTask that did not return a provider task. */
  dispatch?: 'refused' | 'in_doubt';
}

/** Leaves the task live and due again after delayMs; a provider error also counts against the task. */
export async function rescheduleTask(tx: Queryable, taskId: string, lease: string, change: Reschedule): Promise<boolean> {
  const res = await tx.query(RESCHEDULE, [
    taskId,
    lease,
    change.delayMs,
    change.progress ?? null,
    change.providerError ?? null,
    change.status?.to ?? null,
    change.dispatch ?? null,
    change.status?.pendingDeadlineMs ?? null,
  ]);
  return res.rowCount === 1;
}

export async function markFailed(
  tx: Queryable,
  taskId: string,
  lease: string,
  error: { code: string; message: string },
  path: SettlementPath,
): Promise<TaskRow | null> {
  const { rows } = await tx.query<TaskRow>(MARK_FAILED, [taskId, lease, error.code, error.message, path]);
  return rows[0] ?? null;
}

/** Cancel overrides any lease: the row lock orders it against a completion, and the loser's fenced write misses. */
export async function markCanceled(tx: Queryable, taskId: string, path: SettlementPath): Promise<TaskRow | null> {
  const { rows } = await tx.query<TaskRow>(MARK_CANCELED, [taskId, path]);
  return rows[0] ?? null;
}
