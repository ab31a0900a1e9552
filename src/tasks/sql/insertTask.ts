import type { Queryable } from '../../db/index.js';
import type { TaskRow } from '../types.js';

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
}

export async function insertTask(tx: Queryable, t: NewTaskRow): Promise<TaskRow> {
  const { rows } = await tx.query<TaskRow>(
    `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms,
                        idempotency_key, request_hash, lease_owner, lease_expires_at, next_check_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $12,
             now() + make_interval(secs => $13::double precision / 1000),
             now() + make_interval(secs => $13::double precision / 1000))
     RETURNING *`,
    [t.id, t.userId, t.type, t.model, t.provider, t.input, t.price, t.maxAttempts, t.timeoutMs,
      t.idempotencyKey ?? null, t.requestHash, t.lease, t.leaseMs],
  );
  return rows[0]!;
}
