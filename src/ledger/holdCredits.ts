import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { assertAmount } from './assertAmount.js';
import { InsufficientCreditsError } from './InsufficientCreditsError.js';

// One round trip on the submission hot path. The conditional UPDATE is the only guard against overdrawing: under
// concurrency PostgreSQL re-checks its WHERE against the latest row, and when it matches nothing the hold and
// journal INSERTs have no source row, so a refused hold writes nothing at all.
const HOLD = `
  WITH account AS (
    UPDATE user_credits
    SET frozen_balance = frozen_balance + $3, updated_at = now()
    WHERE user_id = $2 AND balance - frozen_balance >= $3
    RETURNING user_id
  ), hold AS (
    INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at)
    SELECT $1::uuid, $4::uuid, user_id, $3::bigint, 'open', $5::timestamptz FROM account
    RETURNING task_id, user_id, amount
  )
  INSERT INTO credit_transactions (user_id, type, amount, reference_id)
  SELECT user_id, 'freeze', amount, task_id::text FROM hold`;

/**
 * Freezes credits for a task. Call it inside the transaction that inserted the task row; it throws
 * InsufficientCreditsError (changing nothing) when the available balance is short.
 */
export async function holdCredits(
  tx: Queryable,
  input: { userId: string; taskId: string; amount: number; expiresAt: Date },
): Promise<{ holdId: string }> {
  assertAmount('amount', input.amount);
  const holdId = randomUUID();
  const { rowCount } = await tx.query(HOLD, [holdId, input.userId, input.amount, input.taskId, input.expiresAt]);
  if (rowCount === 0) throw new InsufficientCreditsError(input.userId, input.amount);
  return { holdId };
}
