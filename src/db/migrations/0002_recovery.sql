-- Recovery: run history that cannot overlap, one scheduled run per tick across instances, and the scans' indexes.

-- scheduled_for: the cron tick a scheduled run belongs to (null for http, cli and admin runs).
-- owner / heartbeat_at: which process runs it and when it last said so; a 'running' row whose heartbeat went stale
-- belongs to a dead process and is taken over (marked failed) by the next run of the job.
ALTER TABLE cron_job_executions
  ADD COLUMN scheduled_for timestamptz,
  ADD COLUMN owner text,
  ADD COLUMN heartbeat_at timestamptz;

-- At most one run of a job at a time, whoever started it (scheduler, cron route, admin, CLI) and on any instance.
CREATE UNIQUE INDEX cron_job_executions_one_running_idx ON cron_job_executions (job_name) WHERE status = 'running';
CREATE INDEX cron_job_executions_job_idx ON cron_job_executions (job_name, started_at DESC);

-- One row per job and scheduled tick: the instance whose INSERT wins runs the tick, every other instance skips it.
CREATE TABLE cron_schedule_ticks (
  job_name      text NOT NULL,
  tick_at       timestamptz NOT NULL,
  claimed_by    text NOT NULL,
  claimed_at    timestamptz NOT NULL DEFAULT now(),
  outcome       text CHECK (outcome IN ('ran', 'failed', 'overlap')),
  execution_id  uuid REFERENCES cron_job_executions(id),
  PRIMARY KEY (job_name, tick_at)
);

-- The reconciler's scans: stale pending tasks by age, and timed-out failures that may still get a late result.
CREATE INDEX tasks_pending_created_idx ON tasks (created_at) WHERE status = 'pending';
CREATE INDEX tasks_late_result_idx ON tasks (completed_at)
  WHERE status = 'failed' AND error_code = 'timeout' AND NOT late_result;
