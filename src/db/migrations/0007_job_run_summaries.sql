-- Each finished run records what it did to tasks in the same columns for every job (found, completed, retried,
-- re-dispatched, late results, failed, errors), written by the job's own summary rule. Statistics, the dashboard,
-- alerts and metrics add the columns up instead of reading each job's results document.
-- duration was integer milliseconds, which overflows after 24.8 days and then blocks the job's run row for good.
ALTER TABLE cron_job_executions
  ALTER COLUMN duration TYPE bigint,
  ADD COLUMN found integer,
  ADD COLUMN completed integer,
  ADD COLUMN retried integer,
  ADD COLUMN redispatched integer,
  ADD COLUMN late_results integer,
  ADD COLUMN failed integer,
  ADD COLUMN errors integer;

-- Runs recorded before this migration: the rule their jobs used then.
UPDATE cron_job_executions SET
  found = COALESCE((results->>'totalFound')::integer, 0),
  completed = COALESCE((results->>'completed')::integer, 0),
  retried = COALESCE((results->>'retried')::integer, 0),
  redispatched = COALESCE((results->>'redispatched')::integer, 0),
  late_results = COALESCE((results->>'lateResults')::integer, 0),
  failed = CASE job_name WHEN 'cleanup-jobs' THEN COALESCE((results->>'cleanedUp')::integer, 0)
                         ELSE COALESCE((results->>'failed')::integer, 0) END,
  errors = CASE jsonb_typeof(results->'errors') WHEN 'array' THEN jsonb_array_length(results->'errors')
                                                WHEN 'number' THEN (results->>'errors')::integer ELSE 0 END
WHERE status <> 'running' AND results IS NOT NULL;
