-- Counters kept as they change (DESIGN section 14): /metrics reads these small tables instead of scanning tasks,
-- cron_job_executions and notification_outbox. Each table mirrors one GROUP BY over its owner's rows (the figures
-- /metrics used to compute by scanning), kept by triggers in the same transaction as every statement that changes
-- those rows, whatever code path issued it.
--
-- The tables are append-only deltas: a change inserts rows (-1 for the old group, +1 for the new), never updates a
-- shared row, so concurrent settlements neither wait on a hot counter row nor deadlock over several of them. The
-- reader folds the deltas into one row per group before summing (tasks/sql/foldTaskCounts.ts and its siblings), so
-- a read costs the number of groups plus the changes since the last read, not the history.
--
-- The functions keep the search_path of the migration, so they find these tables whatever the session's.
-- Owners: task_counts -> tasks, job_run_counts -> jobs, outbox_counts -> notify (docs/architecture.md).

-- tasks: by status, settlement path ('' while live) and latency bucket (the number of LATENCY_BUCKETS bounds strictly
-- below the completed task's settlement latency; NULL when it has none).
CREATE TABLE task_counts (
  status           text NOT NULL,
  path             text NOT NULL,
  bucket           smallint,
  tasks            bigint NOT NULL,
  provider_errors  bigint NOT NULL,
  latency_sum      double precision NOT NULL
);

CREATE FUNCTION task_count_key(t tasks, OUT status text, OUT path text, OUT bucket smallint, OUT latency double precision)
LANGUAGE sql STABLE AS $$
  SELECT t.status, COALESCE(t.settled_by, ''),
         (13 - width_bucket(-l.lat, ARRAY[-3600, -900, -300, -60, -30, -10, -5, -2.5, -1, -0.5, -0.25, -0.1, -0.05]::double precision[]))::smallint,
         l.lat
    FROM (SELECT CASE WHEN t.status = 'completed' AND t.provider_completed_at IS NOT NULL AND t.completed_at IS NOT NULL
                      THEN greatest(0, extract(epoch FROM t.completed_at - t.provider_completed_at))::double precision END AS lat) l
$$;

CREATE FUNCTION task_counts_added() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO task_counts (status, path, bucket, tasks, provider_errors, latency_sum)
  SELECT k.status, k.path, k.bucket, count(*), sum(n.provider_errors), COALESCE(sum(k.latency), 0)
    FROM changed_rows n, task_count_key(n) k
   GROUP BY k.status, k.path, k.bucket;
  RETURN NULL;
END;
$$;

CREATE FUNCTION task_counts_removed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO task_counts (status, path, bucket, tasks, provider_errors, latency_sum)
  SELECT k.status, k.path, k.bucket, -count(*), -sum(o.provider_errors), -COALESCE(sum(k.latency), 0)
    FROM changed_rows o, task_count_key(o) k
   GROUP BY k.status, k.path, k.bucket;
  RETURN NULL;
END;
$$;

CREATE FUNCTION task_counts_moved() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO task_counts (status, path, bucket, tasks, provider_errors, latency_sum)
  SELECT k.status, k.path, k.bucket, -1, -OLD.provider_errors, -COALESCE(k.latency, 0) FROM task_count_key(OLD) k
  UNION ALL
  SELECT k.status, k.path, k.bucket, 1, NEW.provider_errors, COALESCE(k.latency, 0) FROM task_count_key(NEW) k;
  RETURN NULL;
END;
$$;

-- Inserts and deletes come in sets (a batch of submissions, a bulk load): one delta per group and statement.
CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION task_counts_added();
CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION task_counts_removed();
-- Most updates (leases, polls, progress) change nothing counted; the WHEN clause skips them without calling plpgsql.
CREATE TRIGGER task_counts_update AFTER UPDATE ON tasks FOR EACH ROW
  WHEN ((OLD.status, OLD.settled_by, OLD.provider_errors, OLD.completed_at, OLD.provider_completed_at)
        IS DISTINCT FROM (NEW.status, NEW.settled_by, NEW.provider_errors, NEW.completed_at, NEW.provider_completed_at))
  EXECUTE FUNCTION task_counts_moved();

INSERT INTO task_counts (status, path, bucket, tasks, provider_errors, latency_sum)
SELECT k.status, k.path, k.bucket, count(*), sum(t.provider_errors), COALESCE(sum(k.latency), 0)
  FROM tasks t, task_count_key(t) k
 GROUP BY k.status, k.path, k.bucket;

-- cron_job_executions: by job, status and duration bucket (the number of RUN_DURATION_BUCKETS bounds strictly below
-- the duration; NULL without one), with the sums of the results' numeric fields /metrics reports.
CREATE TABLE job_run_counts (
  job               text NOT NULL,
  status            text NOT NULL,
  bucket            smallint,
  runs              bigint NOT NULL,
  duration_count    bigint NOT NULL,
  duration_ms_sum   double precision NOT NULL,
  found             numeric NOT NULL,
  completed         numeric NOT NULL,
  failed            numeric NOT NULL,
  still_processing  numeric NOT NULL,
  retried           numeric NOT NULL,
  redispatched      numeric NOT NULL,
  late_results      numeric NOT NULL,
  cleaned_up        numeric NOT NULL,
  credits_refunded  numeric NOT NULL,
  errors            numeric NOT NULL
);

CREATE FUNCTION run_result_number(results jsonb, field text) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(results -> field) = 'number' THEN (results ->> field)::numeric ELSE 0 END
$$;

CREATE FUNCTION job_run_counts_change(sign integer, r cron_job_executions) RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $$
  INSERT INTO job_run_counts
  SELECT r.job_name, r.status,
         CASE WHEN r.duration IS NOT NULL
              THEN (12 - width_bucket(-r.duration::double precision,
                      ARRAY[-900000, -300000, -60000, -30000, -10000, -5000, -2500, -1000, -500, -250, -100, -50]::double precision[]))::smallint END,
         sign, sign * (r.duration IS NOT NULL)::integer, sign * COALESCE(r.duration, 0),
         sign * run_result_number(r.results, 'totalFound'),
         sign * run_result_number(r.results, 'completed'),
         sign * run_result_number(r.results, 'failed'),
         sign * run_result_number(r.results, 'stillProcessing'),
         sign * run_result_number(r.results, 'retried'),
         sign * run_result_number(r.results, 'redispatched'),
         sign * run_result_number(r.results, 'lateResults'),
         sign * run_result_number(r.results, 'cleanedUp'),
         sign * run_result_number(r.results, 'tokensRefunded'),
         sign * CASE jsonb_typeof(r.results -> 'errors')
                  WHEN 'array' THEN jsonb_array_length(r.results -> 'errors')
                  WHEN 'number' THEN (r.results ->> 'errors')::numeric
                  ELSE 0 END
$$;

-- Runs are few (a handful a minute), so one trigger per row is cheap.
CREATE FUNCTION job_run_counts_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM job_run_counts_change(-1, OLD); END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM job_run_counts_change(1, NEW); END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER job_run_counts_insert_delete AFTER INSERT OR DELETE ON cron_job_executions
  FOR EACH ROW EXECUTE FUNCTION job_run_counts_changed();
CREATE TRIGGER job_run_counts_update AFTER UPDATE ON cron_job_executions FOR EACH ROW
  WHEN ((OLD.job_name, OLD.status, OLD.duration, OLD.results) IS DISTINCT FROM (NEW.job_name, NEW.status, NEW.duration, NEW.results))
  EXECUTE FUNCTION job_run_counts_changed();

SELECT job_run_counts_change(1, r) FROM cron_job_executions r;

-- notification_outbox: entries by channel and status.
CREATE TABLE outbox_counts (
  channel  text NOT NULL,
  status   text NOT NULL,
  entries  bigint NOT NULL
);

CREATE FUNCTION outbox_counts_added() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO outbox_counts SELECT channel, status, count(*) FROM changed_rows GROUP BY channel, status;
  RETURN NULL;
END;
$$;
CREATE FUNCTION outbox_counts_removed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO outbox_counts SELECT channel, status, -count(*) FROM changed_rows GROUP BY channel, status;
  RETURN NULL;
END;
$$;
CREATE FUNCTION outbox_counts_moved() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO outbox_counts VALUES (OLD.channel, OLD.status, -1), (NEW.channel, NEW.status, 1);
  RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_counts_insert AFTER INSERT ON notification_outbox
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION outbox_counts_added();
CREATE TRIGGER outbox_counts_delete AFTER DELETE ON notification_outbox
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION outbox_counts_removed();
CREATE TRIGGER outbox_counts_update AFTER UPDATE ON notification_outbox FOR EACH ROW
  WHEN ((OLD.channel, OLD.status) IS DISTINCT FROM (NEW.channel, NEW.status))
  EXECUTE FUNCTION outbox_counts_moved();

INSERT INTO outbox_counts SELECT channel, status, count(*) FROM notification_outbox GROUP BY channel, status;

