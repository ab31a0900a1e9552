import type { Queryable } from '../../db/index.js';
import type { PauseRow } from './readPauses.js';

/**
 * Pauses a job on every instance. Pausing a paused job changes nothing (the first pause keeps its time, author
 * and reason) and returns null.
 */
export async function pauseJob(db: Queryable, jobName: string, by: string, reason: string | null): Promise<PauseRow | null> {
  const { rows } = await db.query<PauseRow>(
    `INSERT INTO cron_schedules (job_name, paused, paused_at, paused_by, reason, updated_by)
     VALUES ($1, true, now(), $2, $3, $2)
     ON CONFLICT (job_name) DO UPDATE
        SET paused = true, paused_at = now(), paused_by = $2, reason = $3, updated_at = now(), updated_by = $2
      WHERE NOT cron_schedules.paused
     RETURNING job_name, paused, paused_at, paused_by, reason, updated_at, updated_by, 0 AS skipped_ticks`,
    [jobName, by, reason],
  );
  return rows[0] ?? null;
}
