-- Settle's tables live in their own schema (DATABASE_SCHEMA, default settle), so that Settle can share a database
-- with an app that has its own users and tasks. Versions before this one created them in public: this moves an
-- install found there, data, indexes, constraints, sequences and triggers with each table. The migrator runs it
-- before any other pending migration when it finds such an install; on a new install, or with DATABASE_SCHEMA=public,
-- it changes nothing. Only Settle's own names are moved, never another table of public.
DO $$
DECLARE
  target text := current_schema();
  name text;
BEGIN
  IF target IS NULL OR target = 'public' OR to_regclass('public.settle_migrations') IS NULL
     OR to_regclass(format('%I.settle_migrations', target)) IS NOT NULL THEN
    RETURN;
  END IF;
  FOREACH name IN ARRAY ARRAY['settle_migrations', 'users', 'api_keys', 'user_credits', 'tasks', 'credit_holds',
    'credit_transactions', 'cron_job_executions', 'cron_schedule_ticks', 'notification_outbox', 'alert_state',
    'cron_schedules', 'revoked_sessions'] LOOP
    IF to_regclass(format('public.%I', name)) IS NOT NULL THEN
      EXECUTE format('ALTER TABLE public.%I SET SCHEMA %I', name, target);
    END IF;
  END LOOP;
  IF to_regprocedure('public.refuse_journal_change()') IS NOT NULL THEN
    EXECUTE format('ALTER FUNCTION public.refuse_journal_change() SET SCHEMA %I', target);
  END IF;
END
$$;
