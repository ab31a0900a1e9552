import type { Queryable } from '../../db/index.js';

/**
 * Empties the tasks' inputs and file links and stamps pruned_at: the status, price, settlement fields and the
 * credit journal stay. Only finished, unleased, unpruned tasks change; the ids of those that did come back.
 */
export async function markTasksPruned(db: Queryable, ids: string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE tasks SET input = '{}'::jsonb, asset_keys = '{}', pruned_at = now()
      WHERE id = ANY($1::uuid[]) AND pruned_at IS NULL AND status IN ('completed', 'failed', 'canceled')
        AND (lease_expires_at IS NULL OR lease_expires_at < now())
      RETURNING id`,
    [ids],
  );
  return rows.map((r) => r.id);
}
