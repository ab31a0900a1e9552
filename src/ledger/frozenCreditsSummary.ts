import type { Queryable } from '../db/index.js';

const TOTAL = `SELECT coalesce(sum(frozen_balance), 0) AS total FROM user_credits`;

const TOP_HOLDERS = `
  SELECT c.user_id AS "userId", c.frozen_balance AS frozen,
    (SELECT count(*) FROM credit_holds h WHERE h.user_id = c.user_id AND h.status = 'open') AS "openHolds"
  FROM user_credits c
  WHERE c.frozen_balance > 0
  ORDER BY c.frozen_balance DESC, c.user_id
  LIMIT $1`;

export interface FrozenCreditsSummary {
  total: number;
  topHolders: { userId: string; frozen: number; openHolds: number }[];
}

/** Credits frozen across all users, for the alert rules. */
export async function totalFrozenCredits(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ total: number }>(TOTAL);
  return rows[0]?.total ?? 0;
}

/** Credits frozen across all users and the users holding the most, for the admin dashboard and alerts. */
export async function frozenCreditsSummary(db: Queryable, limit = 10): Promise<FrozenCreditsSummary> {
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const total = await totalFrozenCredits(db);
  const holders = await db.query<FrozenCreditsSummary['topHolders'][number]>(TOP_HOLDERS, [limit]);
  return { total, topHolders: holders.rows };
}
