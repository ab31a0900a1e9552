import { prepared, type Queryable } from '../../db/index.js';
import { HOLD_REQUEST_COLUMNS, holdCtes, holdRequestFields } from '../../ledger/index.js';
import type { TaskRow } from '../types.js';
import { taskColumns } from './taskColumns.js';

/** The task's own fields in each request row, beside the hold's. */
const TASK_REQUEST_COLUMNS = [
  'type text', 'model text', 'provider text', 'input jsonb', 'max_attempts integer', 'timeout_ms integer',
  'idempotency_key text', 'request_hash text', 'submitted_by_key uuid', 'lease text', 'lease_ms double precision', 'pending_deadline_ms double precision',
  'dispatch_started boolean',
];
const REQUEST_COLUMNS = [...HOLD_REQUEST_COLUMNS, ...TASK_REQUEST_COLUMNS];
const names = (columns: readonly string[]) => columns.map((c) => c.split(' ')[0]).join(', ');

// The ledger's CTEs freeze the credits; a task is inserted only for a request in `held`.
const INSERT_TASKS = prepared(
  'insertTasks',
  `WITH req AS (
     SELECT ${names(REQUEST_COLUMNS)} FROM jsonb_to_recordset($1::jsonb) AS r(${REQUEST_COLUMNS.join(', ')})
   ), ${holdCtes('req')}
   INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms,
                      idempotency_key, request_hash, submitted_by_key, lease_owner, lease_expires_at, next_check_at, deadline_at,
                      attempts, dispatch_started_at)
   SELECT r.task_id, r.user_id, r.type, r.model, r.provider, r.input, 'pending', r.amount, r.max_attempts, r.timeout_ms,
          r.idempotency_key, r.request_hash, r.submitted_by_key, r.lease,
          now() + make_interval(secs => r.lease_ms / 1000),
          now() + make_interval(secs => r.lease_ms / 1000),
          now() + make_interval(secs => r.pending_deadline_ms / 1000),
          CASE WHEN r.dispatch_started THEN 1 ELSE 0 END, CASE WHEN r.dispatch_started THEN now() END
     FROM req r JOIN held USING (task_id)
   RETURNING ${taskColumns()}`,
);

export interface NewTaskRow {
  id: string;
  userId: string;
  type: 'video' | 'image';
  model: string;
  provider: string;
  input: Record<string, unknown>;
  price: number;
  maxAttempts: number;
  timeoutMs: number;
  idempotencyKey?: string;
  requestHash: string;
  /** The API key that submitted it (the user's, or an admin's acting for the user). */
  submittedBy?: string;
  /** The submitting request holds the first lease, so no worker dispatches the task while it does. */
  lease: string;
  leaseMs: number;
  /** The task must be accepted by its provider within this long (PENDING_DEADLINE_MS), or it fails with a refund. */
  pendingDeadlineMs: number;
  /** When the hold expires (audit flags an open hold past it). */
  holdExpiresAt: Date;
  /**
   * The submitter sends it at once: the first attempt and its send time are recorded by the insert itself, as
   * markDispatchStarted would before the createTask (one write fewer per submission).
   */
  dispatchStarted: boolean;
}

/**
 * Inserts pending tasks of different users, each with its price frozen, in one statement (one round trip, no
 * BEGIN/COMMIT): a task is inserted only when its hold succeeded. Returns the inserted rows by id; a task whose
 * user was short of credits is absent, having changed nothing. A repeated Idempotency-Key fails the whole
 * statement with a unique violation, changing nothing.
 */
export async function insertTasks(db: Queryable, tasks: readonly NewTaskRow[]): Promise<Map<string, TaskRow>> {
  const holds = holdRequestFields(tasks.map((t) => ({ userId: t.userId, taskId: t.id, amount: t.price, expiresAt: t.holdExpiresAt })));
  // Object.assign, not a spread followed by fields: Node 20's V8 adds those one at a time on its slow path.
  const requests = tasks.map((t, i) => Object.assign(holds[i]!, {
    type: t.type, model: t.model, provider: t.provider, input: t.input, max_attempts: t.maxAttempts, timeout_ms: t.timeoutMs,
    idempotency_key: t.idempotencyKey ?? null, request_hash: t.requestHash, submitted_by_key: t.submittedBy ?? null, lease: t.lease, lease_ms: t.leaseMs,
    pending_deadline_ms: t.pendingDeadlineMs, dispatch_started: t.dispatchStarted,
  }));
  const { rows } = await db.query<TaskRow>(INSERT_TASKS, [JSON.stringify(requests)]);
  return new Map(rows.map((row) => [row.id, row]));
}
