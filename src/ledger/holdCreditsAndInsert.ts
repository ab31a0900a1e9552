import { randomUUID } from 'node:crypto';
import { prepared, type PreparedStatement, type Queryable } from '../db/index.js';
import { assertAmount } from './assertAmount.js';
import { InsufficientCreditsError } from './InsufficientCreditsError.js';

/** The CTE a gated INSERT selects from: one row when the credits were frozen, none when they were short. */
export const HELD = 'held';
/** The CTE holding the new credit_holds row (id, task_id, user_id, amount), for a gated query that wants it. */
export const NEW_HOLD = 'hold';

export interface GatedInsert {
  /** Names the prepared statement; one name per distinct `sql`. */
  name: string;
  /** `INSERT INTO ... SELECT ... FROM held RETURNING <columns>` (or a SELECT from NEW_HOLD), using $1..$n for its own params. */
  sql: string;
  params: unknown[];
}

const statements = new Map<string, PreparedStatement>();

/**
 * Freezes credits and inserts the row they are frozen for (the task) in one statement: one round trip, atomic
 * without BEGIN/COMMIT. The conditional UPDATE stays the only guard against overdrawing; when it matches nothing,
 * the hold, the journal row and the gated INSERT all have no source row, so a refused hold writes nothing at all.
 * The hold's foreign key to the gated row is checked at the end of the statement, after both exist.
 */
export async function holdCreditsAndInsert<T>(
  db: Queryable,
  hold: { userId: string; taskId: string; amount: number; expiresAt: Date },
  gated: GatedInsert,
): Promise<T> {
  assertAmount('amount', hold.amount);
  const params = [...gated.params, randomUUID(), hold.userId, hold.amount, hold.taskId, hold.expiresAt];
  const { rows } = await db.query<T>(statementFor(gated), params);
  if (rows.length === 0) throw new InsufficientCreditsError(hold.userId, hold.amount);
  return rows[0]!;
}

/** Built once per gated statement: the text is the same on every call, so the server plans it once per connection. */
function statementFor(gated: GatedInsert): PreparedStatement {
  const known = statements.get(gated.name);
  if (known) return known;
  const n = gated.params.length;
  const p = (i: number) => `$${n + i}`;
  const sql = `
    WITH ${HELD} AS (
      UPDATE user_credits
      SET frozen_balance = frozen_balance + ${p(3)}, updated_at = now()
      WHERE user_id = ${p(2)} AND balance - frozen_balance >= ${p(3)}
      RETURNING user_id
    ), ${NEW_HOLD} AS (
      INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at)
      SELECT ${p(1)}::uuid, ${p(4)}::uuid, user_id, ${p(3)}::bigint, 'open', ${p(5)}::timestamptz FROM ${HELD}
      RETURNING id, task_id, user_id, amount
    ), journal AS (
      INSERT INTO credit_transactions (user_id, type, amount, reference_id)
      SELECT user_id, 'freeze', amount, task_id::text FROM ${NEW_HOLD}
    )
    ${gated.sql}`;
  const statement = prepared(gated.name, sql);
  statements.set(gated.name, statement);
  return statement;
}
