import type { Queryable } from '../../db/index.js';

const SUMMED = ['runs', 'duration_count', 'duration_ms_sum', 'found', 'completed', 'failed', 'still_processing', 'retried', 'redispatched', 'late_results', 'cleaned_up', 'credits_refunded', 'errors'];

/** Folds job_run_counts' deltas into one row per group (migration 0018); concurrent folds are safe, as for tasks. */
export async function foldRunCounts(db: Queryable): Promise<void> {
  await db.query(
    `WITH folded AS (DELETE FROM job_run_counts RETURNING *)
     INSERT INTO job_run_counts (job, status, bucket, ${SUMMED.join(', ')})
     SELECT job, status, bucket, ${SUMMED.map((c) => `sum(${c})`).join(', ')}
       FROM folded
      GROUP BY job, status, bucket
     HAVING ${SUMMED.map((c) => `sum(${c}) <> 0`).join(' OR ')}`,
  );
}
