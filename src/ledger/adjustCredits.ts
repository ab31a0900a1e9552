import { isCheckViolation, isUniqueViolation, prepared, type Queryable } from '../db/index.js';
import { assertAmount } from './assertAmount.js';
import { ensureCreditAccount } from './ensureCreditAccount.js';
import { BalanceLimitError, ReferenceConflictError } from './errors.js';
import { InsufficientCreditsError } from './InsufficientCreditsError.js';

export interface CreditAdjustment {
  userId: string;
  /** Positive grants, negative debits. */
  amount: number;
  /** The caller's id for this move (a payment id, an order id): unique per user. */
  reference: string;
  reason?: string;
}

export interface AdjustedCredits {
  transactionId: number;
  balance: number;
  frozen: number;
  available: number;
  /** True when the reference had already moved this amount: nothing changed, and this is the first move's answer. */
  replayed: boolean;
}

// One statement, so the balance and its journal entry commit together or not at all. The balance moves only when
// no entry has this reference yet, and a debit only within the available credits (never into frozen ones). Two
// concurrent moves with one reference both pass that test on their snapshot, but the second entry then breaks the
// unique (user_id, reference) index, which fails its whole statement, balance change included.
const ADJUST = prepared(
  'adjustCredits',
  `WITH account AS (
     UPDATE user_credits c
     SET balance = c.balance + $2::bigint, updated_at = now()
     WHERE c.user_id = $1
       AND ($2::bigint > 0 OR c.balance - c.frozen_balance >= -$2::bigint)
       AND NOT EXISTS (SELECT 1 FROM credit_transactions t WHERE t.user_id = $1 AND t.reference = $3)
     RETURNING c.user_id, c.balance, c.frozen_balance
   )
   INSERT INTO credit_transactions (user_id, type, amount, reference_id, reference, reason, balance_after, frozen_after)
   SELECT user_id, CASE WHEN $2::bigint > 0 THEN 'grant' ELSE 'debit' END, abs($2::bigint), user_id || ':' || $3, $3, $4,
          balance, frozen_balance
   FROM account
   RETURNING id AS "transactionId", balance_after AS balance, frozen_after AS frozen`,
);

const FIND_BY_REFERENCE = prepared(
  'findCreditMoveByReference',
  `SELECT id AS "transactionId", CASE WHEN type = 'debit' THEN -amount ELSE amount END AS amount,
          balance_after AS balance, frozen_after AS frozen
   FROM credit_transactions WHERE user_id = $1 AND reference = $2`,
);

interface MoveRow {
  transactionId: number;
  balance: number;
  frozen: number;
}

/**
 * Grants (amount > 0) or debits (amount < 0) credits under the caller's reference, exactly once per reference and
 * user. The same reference and amount again answers the first move (`replayed`), another amount throws
 * ReferenceConflictError; a debit larger than the available credits throws InsufficientCreditsError, and a grant
 * past the largest balance BalanceLimitError. Nothing changes in any of those cases.
 */
export async function adjustCredits(db: Queryable, move: CreditAdjustment): Promise<AdjustedCredits> {
  assertAmount('amount', Math.abs(move.amount));
  await ensureCreditAccount(db, move.userId);
  try {
    const { rows } = await db.query<MoveRow>(ADJUST, [move.userId, move.amount, move.reference, move.reason ?? null]);
    if (rows[0]) return answer(rows[0], false);
  } catch (err) {
    if (isCheckViolation(err, 'balance_is_safe_integer')) throw new BalanceLimitError(move.userId);
    if (!isUniqueViolation(err)) throw err;
  }
  // Read in a new statement, so a concurrent first move of this reference is seen once it has committed.
  const { rows } = await db.query<MoveRow & { amount: number }>(FIND_BY_REFERENCE, [move.userId, move.reference]);
  const first = rows[0];
  if (!first) throw new InsufficientCreditsError(move.userId, -move.amount);
  if (first.amount !== move.amount) throw new ReferenceConflictError(move.reference, first.amount);
  return answer(first, true);
}

function answer(row: MoveRow, replayed: boolean): AdjustedCredits {
  return { transactionId: row.transactionId, balance: row.balance, frozen: row.frozen, available: row.balance - row.frozen, replayed };
}
