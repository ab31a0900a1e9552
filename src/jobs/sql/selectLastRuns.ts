import type { Queryable } from '../../db/index.js';

export interface LastFinishedRun {
  job: string;
  status: string;
  startedAt: Date;
  durationMs: number | null;
}

/** The last finished run of each job that has run: one probe of cron_job_executions_job_idx per job. */
export async function selectLastRuns(db: Queryable): Promise<LastFinishedRun[]> {
  const { rows } = await db.query<{ job: string; status: string; started_at: Date | string; duration: number | null }>(
    `SELECT j.job, r.status, r.started_at, r.duration
       FROM (SELECT DISTINCT job FROM job_run_counts) j
      CROSS JOIN LATERAL (SELECT status, started_at, duration FROM cron_job_executions e
                           WHERE e.job_name = j.job AND e.status <> 'running'
                           ORDER BY e.started_at DESC LIMIT 1) r`,
  );
  return rows.map((r) => ({ job: r.job, status: r.status, startedAt: new Date(r.started_at), durationMs: r.duration === null ? null : Number(r.duration) }));
}
