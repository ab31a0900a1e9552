import type { Queryable } from '../../db/index.js';
import { agoMs } from './interval.js';

/**
 * Run statistics over the executions started within the window (default: the last 24 hours):
 * - totalExecutions: every run started, whatever its state (running ones included);
 * - successRate: completed runs / finished (completed + failed) runs, 0..1; null when none has finished;
 * - avgDurationMs: mean duration of finished runs; null when none has finished;
 * - tasksRecovered: tasks a run moved forward instead of failing them: completed (delivered and charged),
 *   retried (resubmitted), re-dispatched and late results stored (process-stuck-tasks runs);
 * - tasksFailed: tasks a run failed and refunded: `failed` of process-stuck-tasks runs, `cleanedUp` of cleanup runs;
 * - errorRate: per-task errors / tasks found, over all runs, 0..1; null when no run found a task.
 */
export interface ExecutionStats {
  totalExecutions: number;
  successRate: number | null;
  avgDurationMs: number | null;
  tasksRecovered: number;
  tasksFailed: number;
  errorRate: number | null;
  windowMs: number;
}

const DAY_MS = 24 * 60 * 60_000;

const int = (field: string) => `COALESCE((results->>'${field}')::integer, 0)`;
const ERRORS = `CASE jsonb_typeof(results->'errors')
  WHEN 'array' THEN jsonb_array_length(results->'errors')
  WHEN 'number' THEN (results->>'errors')::integer
  ELSE 0 END`;

const STATS = `
  SELECT count(*)::integer AS total,
         (count(*) FILTER (WHERE status = 'completed'))::integer AS completed,
         (count(*) FILTER (WHERE status IN ('completed', 'failed')))::integer AS finished,
         avg(duration) FILTER (WHERE status IN ('completed', 'failed'))::double precision AS avg_duration,
         COALESCE(sum(CASE WHEN job_name = 'process-stuck-tasks'
                           THEN ${int('completed')} + ${int('retried')} + ${int('redispatched')} + ${int('lateResults')}
                           ELSE 0 END), 0)::integer AS recovered,
         COALESCE(sum(CASE job_name WHEN 'process-stuck-tasks' THEN ${int('failed')}
                                    WHEN 'cleanup-jobs' THEN ${int('cleanedUp')} ELSE 0 END), 0)::integer AS tasks_failed,
         COALESCE(sum(${ERRORS}), 0)::integer AS errors,
         COALESCE(sum(${int('totalFound')}), 0)::integer AS found
    FROM cron_job_executions
   WHERE started_at > ${agoMs('$1')}`;

interface StatsRow {
  total: number;
  completed: number;
  finished: number;
  avg_duration: number | null;
  recovered: number;
  tasks_failed: number;
  errors: number;
  found: number;
}

export async function executionStats(db: Queryable, windowMs = DAY_MS): Promise<ExecutionStats> {
  const { rows } = await db.query<StatsRow>(STATS, [windowMs]);
  const s = rows[0]!;
  return {
    totalExecutions: s.total,
    successRate: s.finished > 0 ? s.completed / s.finished : null,
    avgDurationMs: s.avg_duration === null ? null : Math.round(s.avg_duration),
    tasksRecovered: s.recovered,
    tasksFailed: s.tasks_failed,
    errorRate: s.found > 0 ? Math.min(1, s.errors / s.found) : null,
    windowMs,
  };
}
