import { agoMs, type Queryable } from '../../db/index.js';

/**
 * Run statistics over the runs started within the window (default: the last 24 hours), from the summary every
 * run records:
 * - totalExecutions: every run started, whatever its state (running ones included);
 * - successRate: completed runs / finished (completed + failed) runs, 0..1; null when none has finished;
 * - avgDurationMs: mean duration of finished runs; null when none has finished;
 * - tasksRecovered: tasks a run completed (delivered and charged) that had been stuck;
 * - tasksRetried, tasksRedispatched, lateResults: tasks a run resubmitted, re-dispatched, or whose late result it
 *   stored; counted apart, because a retry is not yet a recovery;
 * - tasksFailed: tasks a run failed and refunded;
 * - errorRate: per-task errors / tasks found, 0..1; null when no run found a task.
 */
export interface RunStats {
  totalExecutions: number;
  successRate: number | null;
  avgDurationMs: number | null;
  tasksRecovered: number;
  tasksRetried: number;
  tasksRedispatched: number;
  lateResults: number;
  tasksFailed: number;
  errorRate: number | null;
  windowMs: number;
}

const DAY_MS = 24 * 60 * 60_000;

const STATS = `
  SELECT count(*)::integer AS total,
         (count(*) FILTER (WHERE status = 'completed'))::integer AS succeeded,
         (count(*) FILTER (WHERE status IN ('completed', 'failed')))::integer AS finished,
         avg(duration) FILTER (WHERE status IN ('completed', 'failed'))::double precision AS avg_duration,
         COALESCE(sum(completed), 0)::integer AS completed,
         COALESCE(sum(retried), 0)::integer AS retried,
         COALESCE(sum(redispatched), 0)::integer AS redispatched,
         COALESCE(sum(late_results), 0)::integer AS late_results,
         COALESCE(sum(failed), 0)::integer AS failed,
         COALESCE(sum(errors), 0)::integer AS errors,
         COALESCE(sum(found), 0)::integer AS found
    FROM cron_job_executions
   WHERE started_at > ${agoMs('$1')}`;

interface StatsRow {
  total: number;
  succeeded: number;
  finished: number;
  avg_duration: number | null;
  completed: number;
  retried: number;
  redispatched: number;
  late_results: number;
  failed: number;
  errors: number;
  found: number;
}

export async function runStats(db: Queryable, windowMs = DAY_MS): Promise<RunStats> {
  const { rows } = await db.query<StatsRow>(STATS, [windowMs]);
  const s = rows[0]!;
  return {
    totalExecutions: s.total,
    successRate: s.finished > 0 ? s.succeeded / s.finished : null,
    avgDurationMs: s.avg_duration === null ? null : Math.round(s.avg_duration),
    tasksRecovered: s.completed,
    tasksRetried: s.retried,
    tasksRedispatched: s.redispatched,
    lateResults: s.late_results,
    tasksFailed: s.failed,
    errorRate: s.found > 0 ? Math.min(1, s.errors / s.found) : null,
    windowMs,
  };
}
