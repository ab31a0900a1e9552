import type { Queryable } from '../db/index.js';
import type { Credits } from './getCredits.js';

const CREDITS_OF = `
  SELECT user_id AS "userId", balance, frozen_balance AS frozen, balance - frozen_balance AS available
  FROM user_credits WHERE user_id = ANY($1::uuid[])`;

/** The balances of several users at once (an operator's list of users); a user without an account has zeros. */
export async function creditsOf(db: Queryable, userIds: readonly string[]): Promise<Map<string, Credits>> {
  const credits = new Map<string, Credits>(userIds.map((id) => [id, { balance: 0, frozen: 0, available: 0 }]));
  if (userIds.length === 0) return credits;
  const { rows } = await db.query<Credits & { userId: string }>(CREDITS_OF, [[...new Set(userIds)]]);
  for (const { userId, ...c } of rows) credits.set(userId, c);
  return credits;
}
