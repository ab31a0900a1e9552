import type { Queryable } from '../../db/index.js';

/** Folds outbox_counts' deltas into one row per channel and status (migration 0018); concurrent folds are safe. */
export async function foldOutboxCounts(db: Queryable): Promise<void> {
  await db.query(
    `WITH folded AS (DELETE FROM outbox_counts RETURNING *)
     INSERT INTO outbox_counts (channel, status, entries)
     SELECT channel, status, sum(entries) FROM folded GROUP BY channel, status HAVING sum(entries) <> 0`,
  );
}
