import type { Queryable } from '../db/index.js';

// The status = 'open' condition makes the hold resolve at most once: a concurrent capture or release waits for the
// row lock, re-checks, matches nothing, and so changes no balance and writes no journal row.
const CAPTURE = `
  WITH hold AS (
    UPDATE credit_holds
    SET status = 'captured', settled_at = now()
    WHERE task_id = $1 AND status = 'open'
    RETURNING task_id, user_id, amount
  ), account AS (
    UPDATE user_credits c
    SET balance = c.balance - hold.amount, frozen_balance = c.frozen_balance - hold.amount, updated_at = now()
    FROM hold
    WHERE c.user_id = hold.user_id
  )
  INSERT INTO credit_transactions (user_id, type, amount, reference_id)
  SELECT user_id, 'charge', amount, task_id::text FROM hold
  RETURNING amount`;

/** Charges the task's frozen credits. Returns the amount charged, or null when the hold was already settled. */
export async function captureHold(tx: Queryable, taskId: string): Promise<number | null> {
  const { rows } = await tx.query<{ amount: number }>(CAPTURE, [taskId]);
  return rows[0]?.amount ?? null;
}
