import type { Queryable } from '../../db/index.js';

/** The result fields job_run_counts sums, by their /metrics label. */
export const RUN_COUNT_RESULTS = ['found', 'completed', 'failed', 'still_processing', 'retried', 'redispatched', 'late_results', 'cleaned_up', 'credits_refunded', 'errors'] as const;
export type RunCountResult = (typeof RUN_COUNT_RESULTS)[number];

/** One group of job_run_counts: runs by job, status and duration bucket, with their duration and result sums. */
export interface RunCountRow {
  job: string;
  status: string;
  /** The number of duration bounds strictly below the group's duration; null for runs without one. */
  bucket: number | null;
  runs: number;
  durationCount: number;
  durationMsSum: number;
  results: Record<RunCountResult, number>;
}

type Row = Record<string, unknown>;

export async function selectRunCounts(db: Queryable): Promise<RunCountRow[]> {
  const { rows } = await db.query<Row>(
    `SELECT job, status, bucket, sum(runs)::double precision AS runs, sum(duration_count)::double precision AS duration_count,
            sum(duration_ms_sum) AS duration_ms_sum,
            ${RUN_COUNT_RESULTS.map((c) => `sum(${c})::double precision AS ${c}`).join(', ')}
       FROM job_run_counts
      GROUP BY job, status, bucket`,
  );
  return rows.map((r) => ({
    job: String(r.job),
    status: String(r.status),
    bucket: r.bucket === null ? null : Number(r.bucket),
    runs: Number(r.runs),
    durationCount: Number(r.duration_count),
    durationMsSum: Number(r.duration_ms_sum),
    results: Object.fromEntries(RUN_COUNT_RESULTS.map((c) => [c, Number(r[c])])) as Record<RunCountResult, number>,
  }));
}
