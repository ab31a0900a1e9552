import { isCheckViolation, prepared, type Queryable } from '../db/index.js';
import { BalanceLimitError } from './errors.js';

export interface ChargeRefund {
  transactionId: number;
  userId: string;
  amount: number;
  reason: string | null;
  balance: number;
  frozen: number;
  available: number;
  createdAt: Date;
}

// The refund gives back exactly what the charge took; UNIQUE (type, reference_id) lets a task's charge be refunded
// at most once, whoever races.
const REFUND = prepared(
  'refundCharge',
  `WITH charge AS (
     SELECT user_id, amount FROM credit_transactions WHERE type = 'charge' AND reference_id = $1::text
   ), account AS (
     UPDATE user_credits c
     SET balance = c.balance + charge.amount, updated_at = now()
     FROM charge
     WHERE c.user_id = charge.user_id
     RETURNING c.user_id, c.balance, c.frozen_balance, charge.amount
   )
   INSERT INTO credit_transactions (user_id, type, amount, reference_id, reason, balance_after, frozen_after)
   SELECT user_id, 'refund', amount, $1::text, $2, balance, frozen_balance FROM account
   RETURNING id`,
);

const FIND = prepared(
  'findChargeRefund',
  `SELECT id AS "transactionId", user_id AS "userId", amount, reason, balance_after AS balance, frozen_after AS frozen,
          created_at AS "createdAt"
   FROM credit_transactions WHERE type = 'refund' AND reference_id = $1::text`,
);

/**
 * Gives a task's captured charge back to its user, once: call it in the transaction that marks the task refunded.
 * Returns null when the task was never charged. Throws BalanceLimitError when the balance would pass 2^53 − 1.
 */
export async function refundCharge(tx: Queryable, taskId: string, reason: string): Promise<ChargeRefund | null> {
  try {
    const { rows } = await tx.query<{ id: number }>(REFUND, [taskId, reason]);
    if (!rows[0]) return null;
  } catch (err) {
    if (isCheckViolation(err, 'balance_is_safe_integer')) throw new BalanceLimitError(taskId);
    throw err;
  }
  return findChargeRefund(tx, taskId);
}

/** The refund of a task's charge, as it was made; null when there is none. */
export async function findChargeRefund(db: Queryable, taskId: string): Promise<ChargeRefund | null> {
  const { rows } = await db.query<Omit<ChargeRefund, 'available'>>(FIND, [taskId]);
  const row = rows[0];
  return row ? { ...row, available: row.balance - row.frozen } : null;
}
