import { agoMs, beforeMicrosKey, isUniqueViolation, keysetPage, pageMicros, type NewestFirstKey, type Queryable } from '../../db/index.js';
import type { RunSummary } from '../descriptor.js';

export type RunStatus = 'running' | 'completed' | 'failed';

/** A cron_job_executions row: one run of a job, whoever started it. */
export interface RunRow {
  id: string;
  job_name: string;
  trigger: string;
  status: RunStatus;
  started_at: Date;
  completed_at: Date | null;
  duration: number | null;
  results: Record<string, unknown> | null;
  error_message: string | null;
  scheduled_for: Date | null;
  owner: string | null;
  heartbeat_at: Date | null;
  found: number | null;
  completed: number | null;
  retried: number | null;
  redispatched: number | null;
  late_results: number | null;
  failed: number | null;
  errors: number | null;
}

const RUN_COLUMNS = `id, job_name, trigger, status, started_at, completed_at, duration, results, error_message, scheduled_for,
  owner, heartbeat_at, found, completed, retried, redispatched, late_results, failed, errors`;
const qualified = (alias: string) => RUN_COLUMNS.split(',').map((c) => `${alias}.${c.trim()}`).join(', ');
const DURATION = 'round(extract(epoch FROM now() - started_at) * 1000)::bigint';

export interface NewRun {
  id: string;
  jobName: string;
  trigger: string;
  owner: string;
  scheduledFor?: Date;
}

/** Inserts the 'running' row; null when another run of the job is still running (cron_job_executions_one_running_idx). */
export async function startRun(db: Queryable, run: NewRun): Promise<RunRow | null> {
  try {
    const { rows } = await db.query<RunRow>(
      `INSERT INTO cron_job_executions (id, job_name, trigger, status, scheduled_for, owner, heartbeat_at)
       VALUES ($1, $2, $3, 'running', $4, $5, now())
       RETURNING ${RUN_COLUMNS}`,
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
export async function takeOverAbandonedRun(db: Queryable, jobName: string, staleAfterMs: number): Promise<RunRow | null> {
  const { rows } = await db.query<RunRow>(
    `UPDATE cron_job_executions
        SET status = 'failed', completed_at = now(), duration = ${DURATION},
            error_message = format('Abandoned: %s stopped sending heartbeats at %s', COALESCE(owner, 'its process'), heartbeat_at)
      WHERE job_name = $1 AND status = 'running' AND COALESCE(heartbeat_at, started_at) < ${agoMs('$2')}
      RETURNING ${RUN_COLUMNS}`,
    [jobName, staleAfterMs],
  );
  return rows[0] ?? null;
}

export async function beatRun(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE cron_job_executions SET heartbeat_at = now() WHERE id = $1 AND status = 'running'`, [id]);
}

export interface FinishedRun {
  status: 'completed' | 'failed';
  results?: unknown;
  summary?: RunSummary;
  errorMessage?: string;
}

export interface FinishedRunRow extends RunRow {
  /** Whether an operator has the job paused (cron_schedules) as the run finishes. */
  job_paused: boolean;
}

/** Closes a run with its summary; null when it was no longer running (taken over as abandoned while it stalled). */
export async function finishRun(db: Queryable, id: string, finished: FinishedRun): Promise<FinishedRunRow | null> {
  const s = finished.summary;
  const { rows } = await db.query<FinishedRunRow>(
    `UPDATE cron_job_executions e
        SET status = $2, completed_at = now(), heartbeat_at = now(), duration = ${DURATION},
            results = $3::jsonb, error_message = $4,
            found = $5, completed = $6, retried = $7, redispatched = $8, late_results = $9, failed = $10, errors = $11
      WHERE id = $1 AND status = 'running'
      RETURNING ${qualified('e')}, EXISTS (SELECT 1 FROM cron_schedules s WHERE s.job_name = e.job_name AND s.paused) AS job_paused`,
    [
      id,
      finished.status,
      finished.results === undefined ? null : JSON.stringify(finished.results),
      finished.errorMessage ?? null,
      s?.found ?? null,
      s?.completed ?? null,
      s?.retried ?? null,
      s?.redispatched ?? null,
      s?.lateResults ?? null,
      s?.failed ?? null,
      s?.errors ?? null,
    ],
  );
  return rows[0] ?? null;
}

/** The latest runs, newest first, of every job or of one. */
export interface RunListQuery {
  limit: number;
  jobName?: string;
  /** The next page: runs before this key in (started_at, id) order, newest first. */
  before?: NewestFirstKey | null;
}

/** Runs newest first, a page at a time by keyset: an ordered scan of cron_job_executions_started_idx or _job_idx. */
export async function listRuns(db: Queryable, q: RunListQuery): Promise<{ runs: RunRow[]; next: NewestFirstKey | null }> {
  const { rows } = await db.query<RunRow & { page_us: number }>(
    `SELECT ${RUN_COLUMNS}, ${pageMicros('started_at')} FROM cron_job_executions
      WHERE ($2::text IS NULL OR job_name = $2) AND ${beforeMicrosKey('started_at', '$3', '$4')}
      ORDER BY started_at DESC, id DESC LIMIT $1`,
    [q.limit + 1, q.jobName ?? null, q.before?.at ?? null, q.before?.id ?? null],
  );
  const { items, next } = keysetPage(rows, q.limit, (r) => r.id);
  return { runs: items, next };
}

export async function findRunningRun(db: Queryable, jobName: string): Promise<RunRow | null> {
  const { rows } = await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM cron_job_executions WHERE job_name = $1 AND status = 'running'`, [jobName]);
  return rows[0] ?? null;
}

/** How many of the job's latest finished runs failed in a row (at most `limit` are looked at). */
export async function countConsecutiveFailedRuns(db: Queryable, jobName: string, limit: number): Promise<number> {
  const { rows } = await db.query<{ status: string }>(
    `SELECT status FROM cron_job_executions WHERE job_name = $1 AND status <> 'running' ORDER BY started_at DESC LIMIT $2`,
    [jobName, limit],
  );
  const firstSuccess = rows.findIndex((r) => r.status !== 'failed');
  return firstSuccess === -1 ? rows.length : firstSuccess;
}
