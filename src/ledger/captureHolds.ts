import { filterOnly, prepared, type Queryable } from '../db/index.js';

// The status = 'open' condition makes each hold resolve at most once: a concurrent capture or release waits for the
// row lock, re-checks, matches nothing, and so changes no balance and writes no journal row. A user's balance moves
// once by the sum of that user's captured holds; the accounts are locked in user_id order, so two batches sharing
// users queue behind each other instead of deadlocking.
const CAPTURE_MANY = prepared('captureHolds', `
  WITH hold AS (
    UPDATE credit_holds
    SET status = 'captured', settled_at = now()
    WHERE task_id = ANY($1::uuid[]) AND ${filterOnly("status = 'open'")}
    RETURNING task_id, user_id, amount
  ), per_user AS (
    SELECT user_id, sum(amount)::bigint AS amount FROM hold GROUP BY user_id
  ), locked AS (
    SELECT c.user_id FROM user_credits c
    WHERE c.user_id IN (SELECT user_id FROM per_user)
    ORDER BY c.user_id
    FOR NO KEY UPDATE
  ), account AS (
    UPDATE user_credits c
    SET balance = c.balance - p.amount, frozen_balance = c.frozen_balance - p.amount, updated_at = now()
    FROM per_user p JOIN locked l USING (user_id)
    WHERE c.user_id = p.user_id
  ), journal AS (
    INSERT INTO credit_transactions (user_id, type, amount, reference_id)
    SELECT user_id, 'charge', amount, task_id::text FROM hold
  )
  SELECT task_id::text AS "taskId", amount FROM hold`);

/** Charges the frozen credits of several tasks. Returns the amount charged per task id; a settled hold is absent. */
export async function captureHolds(tx: Queryable, taskIds: readonly string[]): Promise<Map<string, number>> {
  if (taskIds.length === 0) return new Map();
  const { rows } = await tx.query<{ taskId: string; amount: number }>(CAPTURE_MANY, [taskIds]);
  return new Map(rows.map((r) => [r.taskId, r.amount]));
}
