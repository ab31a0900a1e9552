import type { Queryable } from '../db/index.js';

/**
 * The app's own id of each of these users that has one (`users.external_id`). Read through to_jsonb so that it
 * answers an empty map, not an error, on a schema that has no external_id column yet.
 */
export async function externalIdsOf(db: Queryable, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; external_id: string | null }>(
    `SELECT u.id, to_jsonb(u) ->> 'external_id' AS external_id FROM users u WHERE u.id = ANY($1::uuid[])`,
    [[...new Set(userIds)]],
  );
  return new Map(rows.flatMap((r) => (r.external_id === null ? [] : [[r.id, r.external_id] as const])));
}
