import type { Queryable } from '../db/index.js';

/** The e-mail address of each of these users (operators' lists show them beside user ids); null for a user without one. */
export async function emailsOf(db: Queryable, userIds: readonly string[]): Promise<Map<string, string | null>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; email: string | null }>('SELECT id, email FROM users WHERE id = ANY($1::uuid[])', [[...new Set(userIds)]]);
  return new Map(rows.map((r) => [r.id, r.email]));
}
