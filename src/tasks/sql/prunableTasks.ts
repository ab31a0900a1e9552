import { afterPageKey, agoMs, pageAt, pageKeyOf, type PageKey, type Paged, type Queryable } from '../../db/index.js';

export interface PrunableTask {
  id: string;
  assetKeys: string[];
}

/**
 * Finished tasks not pruned yet that finished more than olderThanMs ago and hold no live lease, oldest first, after
 * `after` (a dry run pages on; a real run finds the next batch at the start, the pruned ones having left the index).
 */
export async function findPrunableTasks(
  db: Queryable,
  q: { olderThanMs: number; limit: number; after: PageKey | null },
): Promise<{ tasks: PrunableTask[]; last: PageKey | null }> {
  const { rows } = await db.query<Paged & { asset_keys: string[] }>(
    `SELECT id, asset_keys, ${pageAt('completed_at')}
       FROM tasks
      WHERE pruned_at IS NULL AND status IN ('completed', 'failed', 'canceled')
        AND completed_at < ${agoMs('$1')}
        AND (lease_expires_at IS NULL OR lease_expires_at < now())
        AND ${afterPageKey('completed_at', '$2', '$3')}
      ORDER BY completed_at, id
      LIMIT $4`,
    [q.olderThanMs, q.after?.at ?? null, q.after?.id ?? null, q.limit],
  );
  const last = rows.at(-1);
  return { tasks: rows.map((r) => ({ id: r.id, assetKeys: r.asset_keys })), last: last ? pageKeyOf(last) : null };
}
