import { randomUUID } from 'node:crypto';
import { prepared, type Queryable } from '../db/index.js';
import { assertAmount } from './assertAmount.js';
import { InsufficientCreditsError } from './InsufficientCreditsError.js';

export interface HoldRequest {
  userId: string;
  taskId: string;
  amount: number;
  expiresAt: Date;
}

/** The columns a statement's request rows carry for the hold, as `name type` pairs for jsonb_to_recordset. */
export const HOLD_REQUEST_COLUMNS = ['hold_id uuid', 'task_id uuid', 'user_id uuid', 'amount bigint', 'expires_at timestamptz'] as const;

/**
 * The hold fields of each request, checked: amounts are positive safe integers, and one request per user, because
 * a balance row is updated once per statement.
 */
export function holdRequestFields(holds: readonly HoldRequest[]): Record<string, unknown>[] {
  const users = new Set<string>();
  return holds.map((hold) => {
    assertAmount('amount', hold.amount);
    if (users.has(hold.userId)) throw new Error(`user ${hold.userId} twice in one hold statement`);
    users.add(hold.userId);
    return { hold_id: randomUUID(), task_id: hold.taskId, user_id: hold.userId, amount: hold.amount, expires_at: hold.expiresAt };
  });
}

/**
 * The credit side of a statement that freezes credits and inserts what they are frozen for in one round trip (no
 * BEGIN/COMMIT), for the requests of several users at once. Given a CTE `requests` with HOLD_REQUEST_COLUMNS, these
 * CTEs freeze each request's amount and write its hold and journal row, and leave `held(task_id)`: the requests whose
 * credits were frozen. Each freeze is its own conditional UPDATE of its user's balance, the only guard against
 * overdrawing; a request that is short gets no row in `held`, so what the statement inserts from `held` is not
 * written for it either. Accounts are locked in user_id order (as captureHolds does), so statements sharing users
 * queue instead of deadlocking. The hold's foreign key to its task is checked at the end of the statement, after both
 * rows exist.
 */
export function holdCtes(requests: string): string {
  return `locked AS (
      SELECT c.user_id FROM user_credits c
      WHERE c.user_id IN (SELECT user_id FROM ${requests})
      ORDER BY c.user_id
      FOR NO KEY UPDATE
    ), held AS (
      UPDATE user_credits c
      SET frozen_balance = c.frozen_balance + r.amount, updated_at = now()
      FROM ${requests} r JOIN locked l USING (user_id)
      WHERE c.user_id = r.user_id AND c.balance - c.frozen_balance >= r.amount
      RETURNING r.task_id
    ), hold AS (
      INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at)
      SELECT r.hold_id, r.task_id, r.user_id, r.amount, 'open', r.expires_at FROM ${requests} r JOIN held USING (task_id)
      RETURNING task_id, user_id, amount
    ), journal AS (
      INSERT INTO credit_transactions (user_id, type, amount, reference_id)
      SELECT user_id, 'freeze', amount, task_id::text FROM hold
    )`;
}

const HOLD = prepared(
  'holdCredits',
  `WITH req AS (
     SELECT hold_id, task_id, user_id, amount, expires_at FROM jsonb_to_recordset($1::jsonb) AS r(${HOLD_REQUEST_COLUMNS.join(', ')})
   ), ${holdCtes('req')}
   SELECT r.hold_id::text AS "holdId" FROM req r JOIN held USING (task_id)`,
);

/**
 * Freezes credits for a task whose row already exists (inside the transaction that inserted it). Throws
 * InsufficientCreditsError, changing nothing, when the available balance is short.
 */
export async function holdCredits(tx: Queryable, input: HoldRequest): Promise<{ holdId: string }> {
  const { rows } = await tx.query<{ holdId: string }>(HOLD, [JSON.stringify(holdRequestFields([input]))]);
  if (!rows[0]) throw new InsufficientCreditsError(input.userId, input.amount);
  return rows[0];
}
