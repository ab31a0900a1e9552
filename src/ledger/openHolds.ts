import type { Queryable } from '../db/index.js';

/**
 * Open holds and the credits they freeze (equal to the users' frozen balances, which the audit checks), read from
 * the open holds alone through credit_holds_open_idx: the cost follows the running tasks, not the history.
 */
export async function openHoldsTotal(db: Queryable): Promise<{ frozen: number; openHolds: number }> {
  const { rows } = await db.query<{ frozen: number; open_holds: number }>(
    `SELECT COALESCE(sum(amount), 0)::double precision AS frozen, count(*)::double precision AS open_holds
       FROM credit_holds WHERE status = 'open'`,
  );
  return { frozen: Number(rows[0]?.frozen ?? 0), openHolds: Number(rows[0]?.open_holds ?? 0) };
}
