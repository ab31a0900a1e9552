import type { Queryable } from '../db/index.js';
import { openHoldsTotal } from './openHolds.js';

/**
 * Read from the open holds (credit_holds_open_idx), whose sums equal the users' frozen balances (the audit checks
 * it): the cost follows the running tasks, not the number of users or the history.
 */
const TOP_HOLDERS = `
  SELECT user_id AS "userId", sum(amount)::bigint AS frozen, count(*)::integer AS "openHolds"
    FROM credit_holds
   WHERE status = 'open'
   GROUP BY user_id
   ORDER BY sum(amount) DESC, user_id
   LIMIT $1`;

export interface FrozenCreditsSummary {
  total: number;
  topHolders: { userId: string; frozen: number; openHolds: number }[];
}

/** Credits frozen across all users, for the alert rules. */
export async function totalFrozenCredits(db: Queryable): Promise<number> {
  return (await openHoldsTotal(db)).frozen;
}

/** Credits frozen across all users and the users holding the most, for the admin dashboard and alerts. */
export async function frozenCreditsSummary(db: Queryable, limit = 10): Promise<FrozenCreditsSummary> {
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const total = await totalFrozenCredits(db);
  const holders = await db.query<FrozenCreditsSummary['topHolders'][number]>(TOP_HOLDERS, [limit]);
  return { total, topHolders: holders.rows };
}
