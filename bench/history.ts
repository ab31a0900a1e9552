import type { Db } from '../src/db/index.js';

/** SQL: the task is one of the history's (their provider task ids say so), which a section's own checks leave out. */
export const HISTORY_TASK = `provider_task_id LIKE 'history-%'`;

/** Tasks per statement: large enough for speed, small enough that one batch's transaction stays modest. */
const BATCH = 50_000;
/** One recovery run is recorded for this many finished tasks (a run a minute over a busy day's history). */
const TASKS_PER_RUN = 10;

/**
 * The history of a busy install, as Settle itself would have left it: each task completed by a webhook, with its
 * captured hold, its journal (a grant of the price, so balances stay as they are, then the freeze and the charge),
 * one delivered outbox row, and a recovery run for every ten tasks. Realistic sizes: a 200-character prompt with
 * options, one stored-file key, a webhook-sized payload. Spread over the last 180 days, oldest first. Each batch
 * is one statement over generate_series, so a million tasks take minutes, not hours; the audit stays clean.
 */
export async function fillHistory(db: Db, userIds: string[], tasks: number, onBatch?: (done: number) => void): Promise<void> {
  for (let from = 1; from <= tasks; from += BATCH) {
    const to = Math.min(tasks, from + BATCH - 1);
    await db.query(FILL, [from, to, tasks, userIds]);
    onBatch?.(to);
  }
  await db.query(RUNS, [Math.max(1, Math.floor(tasks / TASKS_PER_RUN))]);
  await db.exec('VACUUM ANALYZE');
}

// i = 1 is the oldest task; `ago` spreads them evenly over 180 days.
const FILL = `
  WITH made AS (
    SELECT gen_random_uuid() AS id, ($4::uuid[])[1 + i % cardinality($4::uuid[])] AS user_id, i,
           now() - make_interval(secs => (($3::int - i + 1)::double precision / $3::int) * 180 * 86400 + 3600) AS at
      FROM generate_series($1::int, $2::int) i
  ), t AS (
    INSERT INTO tasks (id, user_id, type, model, provider, input, status, progress, price, provider_task_id, attempts,
                       max_attempts, timeout_ms, request_hash, asset_keys, settled_by, check_count, last_checked_at,
                       dispatched_at, processing_started_at, deadline_at, provider_completed_at, completed_at,
                       created_at, updated_at)
    SELECT id, user_id, 'video', 'sora-2-text-to-video', 'kie',
           jsonb_build_object('prompt', 'history ' || i || ': ' || repeat('a slow pan across a harbour at dawn, gulls overhead, ', 4),
                              'aspect_ratio', '16:9', 'duration', 10, 'seed', i),
           'completed', 100, 30, 'history-' || i, 1, 3, 900000, md5(id::text),
           ARRAY['assets/' || left(md5(id::text), 2) || '/' || id || '-0-' || md5(i::text) || '.mp4'], 'webhook', 2, at + interval '40 seconds',
           at + interval '200 milliseconds', at + interval '200 milliseconds', at + interval '15 minutes', at + interval '42 seconds',
           at + interval '43 seconds', at, at + interval '43 seconds'
      FROM made
    RETURNING id, user_id, price, created_at, completed_at
  ), holds AS (
    INSERT INTO credit_holds (id, task_id, user_id, amount, status, created_at, expires_at, settled_at)
    SELECT gen_random_uuid(), id, user_id, price, 'captured', created_at, created_at + interval '1 hour', completed_at FROM t
  ), journal AS (
    INSERT INTO credit_transactions (user_id, type, amount, reference_id, created_at)
    SELECT t.user_id, e.type, t.price, CASE e.type WHEN 'grant' THEN 'history-grant-' || t.id ELSE t.id::text END,
           CASE e.type WHEN 'charge' THEN t.completed_at ELSE t.created_at END
      FROM t CROSS JOIN (VALUES ('grant'), ('freeze'), ('charge')) AS e(type)
  )
  INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, status, attempts, max_attempts, next_attempt_at,
                                   created_at, sent_at)
  SELECT gen_random_uuid(), 'email', 'task.completed',
         jsonb_build_object('to', 'user-' || left(user_id::text, 8) || '@example.com', 'taskId', id, 'model', 'sora-2-text-to-video',
                            'subject', 'Your video is ready', 'url', 'https://settle.example/assets/' || id),
         'history-email-' || id, 'sent', 1, 5, completed_at, completed_at, completed_at + interval '2 seconds'
    FROM t`;

const RUNS = `
  INSERT INTO cron_job_executions (id, job_name, trigger, status, started_at, completed_at, duration, results,
                                   found, completed, retried, redispatched, late_results, failed, errors, created_at)
  SELECT gen_random_uuid(), 'process-stuck-tasks', 'cron', 'completed', at, at + interval '45 milliseconds', 45,
         '{"totalFound": 1, "completed": 1, "failed": 0, "stillProcessing": 0, "retried": 0, "redispatched": 0, "lateResults": 0, "errors": []}',
         1, 1, 0, 0, 0, 0, 0, at
    FROM (SELECT now() - make_interval(secs => (i::double precision / $1::int) * 180 * 86400 + 3600) AS at
            FROM generate_series(1, $1::int) i) r`;
