import type { Queryable } from '../../db/index.js';
import { isUniqueViolation } from '../../db/index.js';
import { agoMs } from './interval.js';

export type ExecutionStatus = 'running' | 'completed' | 'failed';

export interface ExecutionRow {
  id: string;
  job_name: string;
  trigger: string;
  status: ExecutionStatus;
  started_at: Date;
  completed_at: Date | null;
  duration: number | null;
  results: Record<string, unknown> | null;
  error_message: string | null;
  scheduled_for: Date | null;
  owner: string | null;
  heartbeat_at: Date | null;
  created_at: Date;
}

export interface NewExecution {
  id: string;
  jobName: string;
  trigger: string;
  owner: string;
  scheduledFor?: Date;
}

/** Inserts the 'running' row; null when another run of the job is still running (cron_job_executions_one_running_idx). */
export async function startExecution(db: Queryable, run: NewExecution): Promise<ExecutionRow | null> {
  try {
    const { rows } = await db.query<ExecutionRow>(
      `INSERT INTO cron_job_executions (id, job_name, trigger, status, scheduled_for, owner, heartbeat_at)
       VALUES ($1, $2, $3, 'running', $4, $5, now())
       RETURNING *`,
      [run.id, run.jobName, run.trigger, run.scheduledFor ?? null, run.owner],
    );
    return rows[0]!;
  } catch (err) {
    // The only unique constraint a fresh uuid can hit is the one-running-row index.
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

/** Fails a 'running' row whose process stopped sending heartbeats, so the job is not blocked forever by a dead run. */
export async function takeOverAbandonedRun(db: Queryable, jobName: string, staleAfterMs: number): Promise<ExecutionRow | null> {
  const { rows } = await db.query<ExecutionRow>(
    `UPDATE cron_job_executions
        SET status = 'failed', completed_at = now(),
            duration = round(extract(epoch FROM now() - started_at) * 1000)::integer,
            error_message = format('Abandoned: %s stopped sending heartbeats at %s', COALESCE(owner, 'its process'), heartbeat_at)
      WHERE job_name = $1 AND status = 'running' AND COALESCE(heartbeat_at, started_at) < ${agoMs('$2')}
      RETURNING *`,
    [jobName, staleAfterMs],
  );
  return rows[0] ?? null;
}

export async function beatExecution(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE cron_job_executions SET heartbeat_at = now() WHERE id = $1 AND status = 'running'`, [id]);
}

export interface FinishedRun {
  status: 'completed' | 'failed';
  results?: unknown;
  errorMessage?: string;
}

export interface FinishedExecutionRow extends ExecutionRow {
  /** Whether an operator has the job paused (cron_schedules) as the run finishes. */
  job_paused: boolean;
}

/** Closes a run; null when it was no longer running (taken over as abandoned while it was stalled). */
export async function finishExecution(db: Queryable, id: string, finished: FinishedRun): Promise<FinishedExecutionRow | null> {
  const { rows } = await db.query<FinishedExecutionRow>(
    `UPDATE cron_job_executions e
        SET status = $2, completed_at = now(), heartbeat_at = now(),
            duration = round(extract(epoch FROM now() - started_at) * 1000)::integer,
            results = $3::jsonb, error_message = $4
      WHERE id = $1 AND status = 'running'
      RETURNING e.*, EXISTS (SELECT 1 FROM cron_schedules s WHERE s.job_name = e.job_name AND s.paused) AS job_paused`,
    [id, finished.status, finished.results === undefined ? null : JSON.stringify(finished.results), finished.errorMessage ?? null],
  );
  return rows[0] ?? null;
}

export async function listExecutions(db: Queryable, options: { limit: number; jobName?: string }): Promise<ExecutionRow[]> {
  const { rows } = await db.query<ExecutionRow>(
    `SELECT * FROM cron_job_executions WHERE ($2::text IS NULL OR job_name = $2) ORDER BY started_at DESC, id LIMIT $1`,
    [options.limit, options.jobName ?? null],
  );
  return rows;
}

export async function findRunningExecution(db: Queryable, jobName: string): Promise<ExecutionRow | null> {
  const { rows } = await db.query<ExecutionRow>(`SELECT * FROM cron_job_executions WHERE job_name = $1 AND status = 'running'`, [jobName]);
  return rows[0] ?? null;
}
