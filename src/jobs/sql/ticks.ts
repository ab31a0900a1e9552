import type { Queryable } from '../../db/index.js';

export type TickClaim = 'claimed' | 'paused' | 'claimed_elsewhere';

/**
 * Claims one job's tick for this instance. Every instance fires the same tick; the INSERT of (job, tick) succeeds
 * for exactly one of them, so each tick runs once across any number of instances. The pause switch is read by the
 * same statement: a pause committed before the claim is always seen, and the tick is then recorded as 'paused'
 * (once, whoever claims it) and run by nobody.
 */
export async function claimTick(db: Queryable, jobName: string, tickAt: Date, owner: string): Promise<TickClaim> {
  const { rows } = await db.query<{ outcome: string | null }>(
    `INSERT INTO cron_schedule_ticks (job_name, tick_at, claimed_by, outcome)
     VALUES ($1, $2, $3, CASE WHEN EXISTS (SELECT 1 FROM cron_schedules WHERE job_name = $1 AND paused) THEN 'paused' END)
     ON CONFLICT (job_name, tick_at) DO NOTHING
     RETURNING outcome`,
    [jobName, tickAt, owner],
  );
  if (rows.length === 0) return 'claimed_elsewhere';
  return rows[0]!.outcome === 'paused' ? 'paused' : 'claimed';
}

export type TickRecord = 'ran' | 'failed' | 'overlap';

export async function recordTickOutcome(
  db: Queryable,
  jobName: string,
  tickAt: Date,
  outcome: TickRecord,
  executionId: string | null,
): Promise<void> {
  await db.query(`UPDATE cron_schedule_ticks SET outcome = $3, execution_id = $4 WHERE job_name = $1 AND tick_at = $2`, [
    jobName,
    tickAt,
    outcome,
    executionId,
  ]);
}

/** Tick rows only matter around their tick; keep a week for operators, then drop them. */
export async function pruneTicks(db: Queryable, jobName: string, keepMs: number): Promise<void> {
  await db.query(`DELETE FROM cron_schedule_ticks WHERE job_name = $1 AND tick_at < now() - make_interval(secs => $2::double precision / 1000)`, [
    jobName,
    keepMs,
  ]);
}
