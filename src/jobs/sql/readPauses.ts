import type { Queryable } from '../../db/index.js';

export interface PauseRow {
  job_name: string;
  paused: boolean;
  paused_at: Date | null;
  paused_by: string | null;
  reason: string | null;
  updated_at: Date;
  updated_by: string | null;
  /** Ticks recorded as skipped since the pause in force began. */
  skipped_ticks: number;
}

/** Every pause switch (one row per job ever paused or resumed, so a handful); a job without a row is running. */
export async function readPauses(db: Queryable): Promise<Map<string, PauseRow>> {
  const { rows } = await db.query<PauseRow>(
    `SELECT s.job_name, s.paused, s.paused_at, s.paused_by, s.reason, s.updated_at, s.updated_by,
            CASE WHEN s.paused THEN (SELECT count(*) FROM cron_schedule_ticks t
                                      WHERE t.job_name = s.job_name AND t.outcome = 'paused' AND t.tick_at >= s.paused_at)
                 ELSE 0 END::integer AS skipped_ticks
       FROM cron_schedules s`,
  );
  return new Map(rows.map((row) => [row.job_name, row]));
}

export async function isJobPaused(db: Queryable, jobName: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM cron_schedules WHERE job_name = $1 AND paused`, [jobName]);
  return rows.length > 0;
}
