-- The counters' row trigger (0018) computed each task's group with task_count_key, a SQL function called in FROM,
-- which PostgreSQL does not inline: it parsed and planned its body again at every call, twice per settled task.
-- bench/explain.ts measured 0.3 ms of a settlement's 0.7 ms in that trigger. The latency and its bucket become
-- scalar SQL functions, which the planner inlines into the trigger's one cached INSERT; task_count_key keeps its
-- results (the statement triggers and the counters' checks use it) and now reads the same two definitions.

CREATE FUNCTION task_latency(status text, provider_completed_at timestamptz, completed_at timestamptz)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN status = 'completed' AND provider_completed_at IS NOT NULL AND completed_at IS NOT NULL
              THEN greatest(0, extract(epoch FROM completed_at - provider_completed_at))::double precision END
$$;

-- The number of LATENCY_BUCKETS bounds strictly below the latency; NULL without one.
CREATE FUNCTION task_latency_bucket(latency double precision)
RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT (13 - width_bucket(-latency, ARRAY[-3600, -900, -300, -60, -30, -10, -5, -2.5, -1, -0.5, -0.25, -0.1, -0.05]::double precision[]))::smallint
$$;

CREATE OR REPLACE FUNCTION task_count_key(t tasks, OUT status text, OUT path text, OUT bucket smallint, OUT latency double precision)
LANGUAGE sql STABLE AS $$
  SELECT t.status, COALESCE(t.settled_by, ''), task_latency_bucket(l.lat), l.lat
    FROM (SELECT task_latency(t.status, t.provider_completed_at, t.completed_at) AS lat) l
$$;

CREATE OR REPLACE FUNCTION task_counts_moved() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  old_latency double precision := task_latency(OLD.status, OLD.provider_completed_at, OLD.completed_at);
  new_latency double precision := task_latency(NEW.status, NEW.provider_completed_at, NEW.completed_at);
BEGIN
  INSERT INTO task_counts (status, path, bucket, tasks, provider_errors, latency_sum) VALUES
    (OLD.status, COALESCE(OLD.settled_by, ''), task_latency_bucket(old_latency), -1, -OLD.provider_errors, -COALESCE(old_latency, 0)),
    (NEW.status, COALESCE(NEW.settled_by, ''), task_latency_bucket(new_latency), 1, NEW.provider_errors, COALESCE(new_latency, 0));
  RETURN NULL;
END;
$$;
