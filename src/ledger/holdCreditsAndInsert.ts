import { randomUUID } from 'node:crypto';
import { prepared, type PreparedStatement, type Queryable } from '../db/index.js';
import { assertAmount } from './assertAmount.js';
import { InsufficientCreditsError } from './InsufficientCreditsError.js';

/** The CTE of request rows a gated INSERT selects from: the hold's columns plus the gated row's own. */
export const REQUESTS = 'req';
/** The CTE a gated INSERT joins on `task_id`: one row per request whose credits were frozen, none for one that was short. */
export const HELD = 'held';

export interface HoldRequest {
  userId: string;
  taskId: string;
  amount: number;
  expiresAt: Date;
}

export interface GatedInsert {
  /** Names the prepared statement; one name per distinct `sql`. */
  name: string;
  /** The gated row's own fields in each request, with their SQL types: `{ model: 'text', input: 'jsonb' }`. */
  columns: Record<string, string>;
  /** `INSERT INTO ... SELECT ... FROM req JOIN held USING (task_id) RETURNING <columns>`, or a SELECT from them. */
  sql: string;
}

const statements = new Map<string, PreparedStatement>();

/**
 * Freezes credits and inserts the rows they are frozen for (tasks) in one statement: one round trip, atomic without
 * BEGIN/COMMIT, shared by the requests of several users. Each hold is its own conditional UPDATE of its user's
 * balance, the only guard against overdrawing; when it matches nothing, that request's hold, journal row and gated
 * row have no source row, so a refused request writes nothing and returns no row. The hold's foreign key to the
 * gated row is checked at the end of the statement, after both exist. Accounts are locked in user_id order (as
 * captureHolds does), so statements sharing users queue instead of deadlocking. One request per user: a balance
 * row is updated once per statement.
 */
export async function holdCreditsAndInsert<T>(
  db: Queryable,
  requests: readonly { hold: HoldRequest; row: Record<string, unknown> }[],
  gated: GatedInsert,
): Promise<T[]> {
  const users = new Set<string>();
  const records = requests.map(({ hold, row }) => {
    assertAmount('amount', hold.amount);
    if (users.has(hold.userId)) throw new Error(`holdCreditsAndInsert: user ${hold.userId} twice in one statement`);
    users.add(hold.userId);
    return { ...row, hold_id: randomUUID(), task_id: hold.taskId, user_id: hold.userId, amount: hold.amount, expires_at: hold.expiresAt };
  });
  const { rows } = await db.query<T>(statementFor(gated), [JSON.stringify(records)]);
  return rows;
}

/** The one-request form: the gated row, or InsufficientCreditsError having changed nothing. */
export async function holdCreditsAndInsertOne<T>(db: Queryable, hold: HoldRequest, row: Record<string, unknown>, gated: GatedInsert): Promise<T> {
  const [inserted] = await holdCreditsAndInsert<T>(db, [{ hold, row }], gated);
  if (!inserted) throw new InsufficientCreditsError(hold.userId, hold.amount);
  return inserted;
}

/** Built once per gated statement: the text is the same on every call, so the server plans it once per connection. */
function statementFor(gated: GatedInsert): PreparedStatement {
  const known = statements.get(gated.name);
  if (known) return known;
  const columns = { hold_id: 'uuid', task_id: 'uuid', user_id: 'uuid', amount: 'bigint', expires_at: 'timestamptz', ...gated.columns };
  const names = Object.keys(columns).join(', ');
  const definitions = Object.entries(columns).map(([name, type]) => `${name} ${type}`).join(', ');
  const sql = `
    WITH ${REQUESTS} AS (
      SELECT ${names} FROM jsonb_to_recordset($1::jsonb) AS r(${definitions})
    ), locked AS (
      SELECT c.user_id FROM user_credits c
      WHERE c.user_id IN (SELECT user_id FROM ${REQUESTS})
      ORDER BY c.user_id
      FOR NO KEY UPDATE
    ), ${HELD} AS (
      UPDATE user_credits c
      SET frozen_balance = c.frozen_balance + r.amount, updated_at = now()
      FROM ${REQUESTS} r JOIN locked l USING (user_id)
      WHERE c.user_id = r.user_id AND c.balance - c.frozen_balance >= r.amount
      RETURNING r.task_id
    ), hold AS (
      INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at)
      SELECT r.hold_id, r.task_id, r.user_id, r.amount, 'open', r.expires_at FROM ${REQUESTS} r JOIN ${HELD} USING (task_id)
      RETURNING task_id, user_id, amount
    ), journal AS (
      INSERT INTO credit_transactions (user_id, type, amount, reference_id)
      SELECT user_id, 'freeze', amount, task_id::text FROM hold
    )
    ${gated.sql}`;
  const statement = prepared(gated.name, sql);
  statements.set(gated.name, statement);
  return statement;
}
