import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../src/app/system.js';
import { startCounterFolds } from '../../src/app/counterFolds.js';
import { readRunCounts } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log/index.js';
import { readOutboxCounts } from '../../src/notify/index.js';
import { readTaskCounts } from '../../src/tasks/index.js';
import { createUser } from '../../src/users/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';

/** The figures the counters must equal: the GROUP BY /metrics used to run over every row. */
const TASK_SCAN = `
  SELECT k.status, k.path, k.bucket, count(*)::double precision AS tasks, sum(t.provider_errors)::double precision AS "providerErrors"
    FROM tasks t, task_count_key(t) k GROUP BY 1, 2, 3`;

const sortKey = (r: { status: string; path?: string; bucket?: number | null; channel?: string; job?: string }) =>
  `${r.job ?? r.channel ?? ''}/${r.status}/${r.path ?? ''}/${r.bucket ?? ''}`;
const byKey = <T extends Parameters<typeof sortKey>[0]>(rows: T[]) => [...rows].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));

describe('counters kept as rows change (migration 0018)', () => {
  let t: TestDatabase;
  let userId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    ({ userId } = await createUser(t.db, { email: 'counters@example.com' }));
  });
  afterAll(() => t?.drop());

  const insertTasks = (n: number, status: string) =>
    t.db.query(
      `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, provider_task_id)
       SELECT gen_random_uuid(), $1, 'video', 'm', 'kie', '{}', $3, 10, 3, 60000, 'p-' || gen_random_uuid()
         FROM generate_series(1, $2)`,
      [userId, n, status],
    );
  const taskCounts = async () =>
    byKey((await readTaskCounts(t.db)).filter((r) => r.tasks !== 0).map(({ latencySum: _, ...r }) => r));
  const scanned = async () => byKey((await t.db.query<{ status: string; path: string; bucket: number | null }>(TASK_SCAN)).rows) as unknown[];

  it('equal a scan of tasks through bulk inserts, settlements on several paths, counted errors and deletes', async () => {
    await insertTasks(50, 'pending');
    await insertTasks(30, 'processing');
    expect(await taskCounts()).toEqual(await scanned());

    await t.db.query(
      `UPDATE tasks SET status = 'completed', settled_by = (ARRAY['webhook', 'poll', 'reconciler'])[1 + (random() * 2)::int],
              provider_completed_at = now() - make_interval(secs => random() * 20), completed_at = now()
        WHERE status = 'processing'`,
    );
    await t.db.query(`UPDATE tasks SET provider_errors = provider_errors + 2 WHERE id IN (SELECT id FROM tasks WHERE status = 'pending' LIMIT 7)`);
    await t.db.query(`UPDATE tasks SET status = 'failed', settled_by = 'worker' WHERE id IN (SELECT id FROM tasks WHERE status = 'pending' LIMIT 5)`);
    await t.db.query(`UPDATE tasks SET lease_owner = 'x', check_count = check_count + 1`);
    await t.db.query(`DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE status = 'completed' LIMIT 4)`);
    expect(await taskCounts()).toEqual(await scanned());
    // Folding twice changes nothing, and leaves one row per group.
    expect(await taskCounts()).toEqual(await scanned());
    const rows = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM task_counts');
    expect(rows.rows[0]!.n).toBe((await scanned()).length);
  });

  /** How often a trigger function and task_count_key ran during one statement, in a transaction of its own. */
  const callsDuring = (trigger: string, statement: string, params: unknown[] = []) =>
    t.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL track_functions = 'all'`);
      await tx.query(statement, params);
      const { rows } = await tx.query<{ trigger: number; key: number | null }>(
        `SELECT pg_stat_get_xact_function_calls($1::regprocedure)::int AS trigger,
                pg_stat_get_xact_function_calls('task_count_key(tasks)'::regprocedure)::int AS key`,
        [trigger],
      );
      return { trigger: rows[0]!.trigger, key: rows[0]!.key ?? 0 };
    });

  it("keep a settlement's trigger to one cached plan: it calls no SQL function PostgreSQL would plan again per row (0022)", async () => {
    await insertTasks(3, 'processing');
    const calls = await callsDuring(
      'task_counts_moved()',
      `UPDATE tasks SET status = 'completed', settled_by = 'webhook', provider_completed_at = now() - interval '2 seconds', completed_at = now()
        WHERE id IN (SELECT id FROM tasks WHERE status = 'processing' LIMIT 3)`,
    );
    // The trigger ran once per row; before 0022 each run called task_count_key twice, a SQL function in FROM that
    // is never inlined and so parsed and planned again every time (0.3 ms of a 0.7 ms settlement).
    expect(calls).toEqual({ trigger: 3, key: 0 });
    expect(await taskCounts()).toEqual(await scanned());
  });

  it("keep a submission group's insert trigger to one cached plan, finished tasks with latencies too (0024)", async () => {
    const calls = await callsDuring(
      'task_counts_added()',
      `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, provider_task_id,
                          settled_by, provider_completed_at, completed_at)
       SELECT gen_random_uuid(), $1, 'video', 'm', 'kie', '{}', s.status, 10, 3, 60000, 'p-' || gen_random_uuid(),
              s.path, now() - make_interval(secs => i * 0.7), now()
         FROM generate_series(1, 12) i,
              (VALUES ('pending', NULL), ('completed', 'webhook'), ('failed', 'cleanup')) s(status, path)`,
      [userId],
    );
    // One run for the statement; before 0024 it called task_count_key once per row, planning its body again at
    // every statement (0.37 ms of a submission group's insert).
    expect(calls).toEqual({ trigger: 1, key: 0 });
    expect(await taskCounts()).toEqual(await scanned());
  });

  it('stay exact under concurrent settlements and concurrent folds', async () => {
    await insertTasks(200, 'processing');
    const ids = (await t.db.query<{ id: string }>(`SELECT id FROM tasks WHERE status = 'processing'`)).rows.map((r) => r.id);
    await Promise.all([
      ...ids.map((id, i) =>
        t.db.query(`UPDATE tasks SET status = $2, settled_by = 'webhook', provider_completed_at = now(), completed_at = now() WHERE id = $1`, [
          id,
          i % 3 === 0 ? 'failed' : 'completed',
        ]),
      ),
      ...Array.from({ length: 10 }, () => readTaskCounts(t.db)),
    ]);
    expect(await taskCounts()).toEqual(await scanned());
  });

  it('count runs by job and status with their result fields, and outbox entries by channel and status', async () => {
    await t.db.query(
      `INSERT INTO cron_job_executions (id, job_name, status) VALUES (gen_random_uuid(), 'cleanup-jobs', 'running'), (gen_random_uuid(), 'process-stuck-tasks', 'running')`,
    );
    await t.db.query(
      `UPDATE cron_job_executions SET status = 'completed', duration = 700, results = '{"totalFound": 3, "cleanedUp": 2, "errors": ["x"]}' WHERE job_name = 'cleanup-jobs'`,
    );
    const runs = await readRunCounts(t.db);
    expect(runs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ job: 'cleanup-jobs', status: 'completed', bucket: 4, runs: 1, durationMsSum: 700, results: expect.objectContaining({ found: 3, cleaned_up: 2, errors: 1 }) }),
        expect.objectContaining({ job: 'process-stuck-tasks', status: 'running', runs: 1 }),
      ]),
    );
    expect(runs.filter((r) => r.runs !== 0)).toHaveLength(2);

    await t.db.query(
      `INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, max_attempts)
       SELECT gen_random_uuid(), (ARRAY['email', 'slack'])[1 + i % 2], 'k', '{}', 'd' || i, 3 FROM generate_series(1, 9) i`,
    );
    await t.db.query(`UPDATE notification_outbox SET status = 'sent' WHERE dedupe_key IN ('d1', 'd2', 'd3')`);
    await t.db.query(`UPDATE notification_outbox SET attempts = attempts + 1`);
    const scan = await t.db.query<{ channel: string; status: string; entries: number }>(
      'SELECT channel, status, count(*)::double precision AS entries FROM notification_outbox GROUP BY 1, 2',
    );
    expect(byKey(await readOutboxCounts(t.db))).toEqual(byKey(scan.rows));
  });

  it('are folded on a timer too, so an install nobody scrapes keeps one row per group', async () => {
    await insertTasks(5, 'pending');
    await insertTasks(5, 'pending');
    const rows = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM task_counts')).rows[0]!.n;
    const groups = (await scanned()).length;
    expect(await rows()).toBeGreaterThan(groups);
    const folds = startCounterFolds({ db: t.db, logger: createLogger('silent') } as unknown as System, 50);
    try {
      await waitFor('the deltas to be folded', async () => (await rows()) === groups || undefined);
    } finally {
      await folds.stop();
    }
    expect(await taskCounts()).toEqual(await scanned());
  });
});
