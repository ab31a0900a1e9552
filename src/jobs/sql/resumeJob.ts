import type { Queryable } from '../../db/index.js';
import type { PauseRow } from './readPauses.js';

/** Resumes a paused job: its next tick runs. A job that is not paused is left alone and null comes back. */
export async function resumeJob(db: Queryable, jobName: string, by: string): Promise<PauseRow | null> {
  const { rows } = await db.query<PauseRow>(
    `UPDATE cron_schedules
        SET paused = false, paused_at = NULL, paused_by = NULL, reason = NULL, updated_at = now(), updated_by = $2
      WHERE job_name = $1 AND paused
     RETURNING job_name, paused, paused_at, paused_by, reason, updated_at, updated_by, 0 AS skipped_ticks`,
    [jobName, by],
  );
  return rows[0] ?? null;
}
