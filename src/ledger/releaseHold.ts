import { filterOnly, prepared, type Queryable } from '../db/index.js';

// The same guard as captureHolds: only the open hold can be released, so a release racing a capture loses cleanly.
const RELEASE = prepared('releaseHold', `
  WITH hold AS (
    UPDATE credit_holds
    SET status = 'released', settled_at = now()
    WHERE task_id = $1 AND ${filterOnly("status = 'open'")}
    RETURNING task_id, user_id, amount
  ), account AS (
    UPDATE user_credits c
    SET frozen_balance = c.frozen_balance - hold.amount, updated_at = now()
    FROM hold
    WHERE c.user_id = hold.user_id
  )
  INSERT INTO credit_transactions (user_id, type, amount, reference_id)
  SELECT user_id, 'unfreeze', amount, task_id::text FROM hold
  RETURNING amount`);

/** Unfreezes the task's credits (the refund). Returns the amount released, or null when already settled. */
export async function releaseHold(tx: Queryable, taskId: string): Promise<number | null> {
  const { rows } = await tx.query<{ amount: number }>(RELEASE, [taskId]);
  return rows[0]?.amount ?? null;
}
