import type { Queryable } from '../db/index.js';

const ENSURE = `INSERT INTO user_credits (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`;

/** Creates an empty account for the user; an existing account is left untouched. */
export async function ensureCreditAccount(db: Queryable, userId: string): Promise<void> {
  await db.query(ENSURE, [userId]);
}
