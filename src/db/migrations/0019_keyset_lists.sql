-- Every list keyset-paginated (DESIGN section 14): each page of the operators' lists is an ordered index scan that
-- stops after the page, whatever the history. The (time, id) order needs id in the index.
CREATE INDEX tasks_created_idx ON tasks (created_at DESC, id DESC);
CREATE INDEX tasks_status_created_idx ON tasks (status, created_at DESC, id DESC);

DROP INDEX notification_outbox_status_idx;
CREATE INDEX notification_outbox_status_idx ON notification_outbox (status, created_at DESC, id DESC);
CREATE INDEX notification_outbox_created_idx ON notification_outbox (created_at DESC, id DESC);

DROP INDEX cron_job_executions_started_idx;
CREATE INDEX cron_job_executions_started_idx ON cron_job_executions (started_at DESC, id DESC);
DROP INDEX cron_job_executions_job_idx;
CREATE INDEX cron_job_executions_job_idx ON cron_job_executions (job_name, started_at DESC, id DESC);
