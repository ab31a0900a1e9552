import type { Queryable } from '../../db/index.js';

/**
 * Folds task_counts' deltas into one row per group (migration 0018). Concurrent folds are safe: a delta row is
 * deleted by exactly one of them, and each re-inserts only the sums of the rows it deleted.
 */
export async function foldTaskCounts(db: Queryable): Promise<void> {
  await db.query(
    `WITH folded AS (DELETE FROM task_counts RETURNING *)
     INSERT INTO task_counts (status, path, bucket, tasks, provider_errors, latency_sum)
     SELECT status, path, bucket, sum(tasks), sum(provider_errors), sum(latency_sum)
       FROM folded
      GROUP BY status, path, bucket
     HAVING sum(tasks) <> 0 OR sum(provider_errors) <> 0 OR sum(latency_sum) <> 0`,
  );
}
