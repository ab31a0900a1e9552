import type { Queryable } from '../db/index.js';

const GET = `
  SELECT balance, frozen_balance AS frozen, balance - frozen_balance AS available
  FROM user_credits
  WHERE user_id = $1`;

export interface Credits {
  balance: number;
  frozen: number;
  available: number;
}

/** The user's balance; a user without an account has zero of everything. */
export async function getCredits(db: Queryable, userId: string): Promise<Credits> {
  const { rows } = await db.query<Credits>(GET, [userId]);
  return rows[0] ?? { balance: 0, frozen: 0, available: 0 };
}
