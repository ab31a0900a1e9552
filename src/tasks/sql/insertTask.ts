import { HELD, holdCreditsAndInsert } from '../../ledger/index.js';
import type { Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';
import { taskColumns } from './taskColumns.js';

const INSERT_GATED = `
    INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms,
                       idempotency_key, request_hash, lease_owner, lease_expires_at, next_check_at)
    SELECT $1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $12,
           now() + make_interval(secs => $13::double precision / 1000),
           now() + make_interval(secs => $13::double precision / 1000)
      FROM ${HELD}
    RETURNING ${taskColumns()}`;

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
  /** The submitting request holds the first lease, so no worker dispatches the task while it does. */
  lease: string;
  leaseMs: number;
  /** When the hold expires (audit flags an open hold past it). */
  holdExpiresAt: Date;
}

/**
 * Inserts the pending task and freezes its price in one statement (one round trip, no BEGIN/COMMIT): the row is
 * inserted only when the hold succeeded. Throws InsufficientCreditsError, or a unique violation on a repeated
 * Idempotency-Key, having changed nothing.
 */
export function insertTask(db: Queryable, t: NewTaskRow): Promise<TaskRow> {
  const params = [t.id, t.userId, t.type, t.model, t.provider, t.input, t.price, t.maxAttempts, t.timeoutMs,
    t.idempotencyKey ?? null, t.requestHash, t.lease, t.leaseMs];
  return holdCreditsAndInsert<TaskRow>(db, { userId: t.userId, taskId: t.id, amount: t.price, expiresAt: t.holdExpiresAt }, { name: 'insertTask', sql: INSERT_GATED, params });
}
