import { randomUUID } from 'node:crypto';
import { isCheckViolation, type Queryable } from '../db/index.js';
import { assertAmount } from './assertAmount.js';
import { BalanceLimitError } from './errors.js';
import { getCredits } from './getCredits.js';

// The journal row goes first so that a repeated reference inserts nothing and therefore adds nothing to the balance.
const GRANT = `
  WITH entry AS (
    INSERT INTO credit_transactions (user_id, type, amount, reference_id)
    VALUES ($1, 'grant', $2, $3)
    ON CONFLICT ON CONSTRAINT one_entry_per_reference DO NOTHING
    RETURNING user_id, amount
  )
  INSERT INTO user_credits (user_id, balance)
  SELECT user_id, amount FROM entry
  ON CONFLICT (user_id) DO UPDATE
    SET balance = user_credits.balance + EXCLUDED.balance, updated_at = now()
  RETURNING balance`;

/** Adds credits, creating the account if needed. A reference already granted is a no-op that reports the balance. */
export async function grantCredits(
  db: Queryable,
  input: { userId: string; amount: number; reference?: string },
): Promise<{ balance: number }> {
  assertAmount('amount', input.amount);
  const reference = input.reference ?? `grant:${randomUUID()}`;
  const { rows } = await db.query<{ balance: number }>(GRANT, [input.userId, input.amount, reference]).catch((err: unknown) => {
    if (isCheckViolation(err, 'balance_is_safe_integer')) throw new BalanceLimitError(input.userId);
    throw err;
  });
  if (rows[0]) return { balance: rows[0].balance };
  // A replay: read in a new statement so a concurrent first grant of this reference is visible once it commits.
  const { balance } = await getCredits(db, input.userId);
  return { balance };
}
