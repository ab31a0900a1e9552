import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageKeyOf, statementText, type Queryable, type Statement } from '../../src/db/index.js';
import { listRuns, runStats } from '../../src/jobs/index.js';
import { frozenCreditsSummary } from '../../src/ledger/index.js';
import { readSnapshot } from '../../src/metrics/index.js';
import { listNotifications, listWebhookEndpointsPage, outboxCounts } from '../../src/notify/index.js';
import type { AssetStore } from '../../src/storage/index.js';
import { adminTaskTotal, findPendingTasks, listTasksForAdmin, pruneTasks } from '../../src/tasks/index.js';
import { createUser, listApiKeys } from '../../src/users/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const HISTORY_TABLES = ['tasks', 'notification_outbox', 'cron_job_executions', 'credit_holds', 'credit_transactions', 'api_keys', 'webhook_endpoints'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}
const seqScans = (node: PlanNode): string[] => [
  ...(node['Node Type'] === 'Seq Scan' && HISTORY_TABLES.includes(node['Relation Name'] ?? '') ? [node['Relation Name']!] : []),
  ...(node.Plans ?? []).flatMap(seqScans),
];
/** A keyset page reads its rows in order from an index: no sort of everything that matched. */
const sorts = (node: PlanNode): string[] => [...(node['Node Type'] === 'Sort' ? ['Sort'] : []), ...(node.Plans ?? []).flatMap(sorts)];

/** A Queryable that runs every statement and keeps it, so the test can ask the planner about exactly what was sent. */
function recording(db: Queryable): { db: Queryable; sent: { text: string; params: unknown[] }[] } {
  const sent: { text: string; params: unknown[] }[] = [];
  return {
    sent,
    db: {
      query: (statement: Statement, params?: unknown[]) => {
        sent.push({ text: statementText(statement), params: params ?? [] });
        return db.query(statement, params);
      },
      exec: (script) => db.exec(script),
    },
  };
}

describe('lists, totals and /metrics read history through indexes, never a sequential scan', () => {
  let t: TestDatabase;
  let keyOwner: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const { userId } = await createUser(t.db, { email: 'plans@example.com', credits: 1000 });
    keyOwner = userId;
    // An app that makes a key per session: thousands of keys for one user, a few for the others.
    await t.db.query(
      `INSERT INTO users (id, email) SELECT gen_random_uuid(), 'other-' || i || '@example.com' FROM generate_series(1, 200) i`,
    );
    await t.db.query(
      `INSERT INTO api_keys (id, user_id, key_hash, key_prefix, role, created_at, revoked_at)
       SELECT gen_random_uuid(), $1, 'hash-' || i, 'sk_settle_abcd', 'user', now() - make_interval(mins => i), now() FROM generate_series(1, 5000) i
       UNION ALL
       SELECT gen_random_uuid(), u.id, 'hash-' || u.id, 'sk_settle_abcd', 'user', now(), NULL FROM users u WHERE u.email LIKE 'other-%'`,
      [userId],
    );
    await t.db.query(
      `INSERT INTO webhook_endpoints (id, url, events, secret, created_at)
       SELECT gen_random_uuid(), 'https://hooks.example.com/' || i, '{task.completed}', 'whsec_x', now() - make_interval(mins => i)
         FROM generate_series(1, 2000) i`,
    );
    await t.db.query(
      `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, provider_task_id,
                          settled_by, created_at, provider_completed_at, completed_at)
       SELECT gen_random_uuid(), $1, 'video', 'm', 'kie', '{"prompt": "p"}', CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'completed' END,
              10, 3, 60000, 'p-' || i, 'webhook', now() - make_interval(mins => i), now() - make_interval(mins => i), now() - make_interval(mins => i)
         FROM generate_series(1, 20000) i`,
      [userId],
    );
    // A backlog waiting for its provider, beside the history.
    await t.db.query(
      `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, created_at)
       SELECT gen_random_uuid(), $1, 'video', 'm', 'kie', '{"prompt": "p"}', 'pending', 10, 3, 60000, now() - make_interval(secs => i)
         FROM generate_series(1, 1000) i`,
      [userId],
    );
    await t.db.query(
      `INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at, settled_at)
       SELECT gen_random_uuid(), id, user_id, price, 'captured', now(), now() FROM tasks`,
    );
    await t.db.query(
      `INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, max_attempts, status, created_at)
       SELECT gen_random_uuid(), 'email', 'task.completed', '{}', 'd' || i, 3, CASE WHEN i % 100 = 0 THEN 'dead' ELSE 'sent' END, now() - make_interval(mins => i)
         FROM generate_series(1, 10000) i`,
    );
    await t.db.query(
      `INSERT INTO cron_job_executions (id, job_name, status, started_at, duration, results)
       SELECT gen_random_uuid(), 'process-stuck-tasks', 'completed', now() - make_interval(mins => i), 40, '{"totalFound": 0}'
         FROM generate_series(1, 10000) i`,
    );
    await t.db.exec('ANALYZE');
  }, 120_000);
  afterAll(() => t?.drop());

  const planOf = async (text: string, params: unknown[]): Promise<PlanNode> => {
    const { rows } = await t.db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] | string }>(`EXPLAIN (FORMAT JSON) ${text}`, params);
    const raw = rows[0]!['QUERY PLAN'];
    return (typeof raw === 'string' ? JSON.parse(raw) : raw)[0].Plan as PlanNode;
  };

  it('plans every statement the admin lists, the dashboard data and a scrape send without a seq scan over history', async () => {
    const r = recording(t.db);
    const stuck = { processingMs: 60_000, pendingMs: 60_000 };
    const first = await listTasksForAdmin(r.db, { limit: 50 });
    await listTasksForAdmin(r.db, { limit: 50, after: first.next });
    await listTasksForAdmin(r.db, { status: 'failed', limit: 50 });
    await listTasksForAdmin(r.db, { status: 'pending', limit: 50 });
    await listTasksForAdmin(r.db, { stuck, limit: 50 });
    await adminTaskTotal(r.db, { stuck });
    await adminTaskTotal(r.db, { status: 'completed' });
    const outbox = await listNotifications(r.db, { limit: 50 });
    await listNotifications(r.db, { limit: 50, after: outbox.next });
    await listNotifications(r.db, { status: 'dead', limit: 50 });
    await outboxCounts(r.db);
    await frozenCreditsSummary(r.db, 10);
    const runs = await listRuns(r.db, { limit: 50 });
    await listRuns(r.db, { limit: 50, before: runs.next });
    await listRuns(r.db, { limit: 1, jobName: 'process-stuck-tasks', before: runs.next });
    await runStats(r.db);
    const prune = await pruneTasks(r.db, {} as AssetStore, { olderThanMs: 10 * 86_400_000, batchSize: 1000, dryRun: true });
    // Tasks finished i minutes before the fill; more than ten days ago: i > 14,400 (and i = 14,400 by now).
    expect([5600, 5601]).toContain(prune.tasks);
    const snapshot = await readSnapshot(r.db);
    expect(snapshot.tasks.reduce((n, g) => n + g.tasks, 0)).toBe(21_000);
    expect(first.tasks).toHaveLength(50);

    const scans: string[] = [];
    for (const { text, params } of r.sent) {
      const plan = await planOf(text, params);
      for (const table of seqScans(plan)) scans.push(`${table}: ${text.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    expect(r.sent.length).toBeGreaterThan(15);
    expect(scans).toEqual([]);
  }, 120_000);

  it("pages pending tasks, a user's keys and the webhook endpoints in index order, the second page as the first", async () => {
    const r = recording(t.db);
    const pending = await findPendingTasks(r.db, { olderThanMs: 60_000, doubtMs: 600_000, limit: 100 });
    await findPendingTasks(r.db, { olderThanMs: 60_000, doubtMs: 600_000, limit: 100, after: pageKeyOf(pending.at(-1)!) });
    await findPendingTasks(r.db, { doubtMs: 600_000, limit: 100, after: pageKeyOf(pending.at(-1)!) });
    expect(pending).toHaveLength(100);
    const keys = await listApiKeys(r.db, { userId: keyOwner, after: null, limit: 50 });
    await listApiKeys(r.db, { userId: keyOwner, after: keys.next, limit: 50 });
    const endpoints = await listWebhookEndpointsPage(r.db, { after: null, limit: 50 });
    await listWebhookEndpointsPage(r.db, { after: endpoints.next, limit: 50 });
    expect(keys.keys).toHaveLength(50);
    expect(endpoints.endpoints).toHaveLength(50);

    const problems: string[] = [];
    for (const { text, params } of r.sent) {
      const plan = await planOf(text, params);
      for (const problem of [...seqScans(plan), ...sorts(plan)]) problems.push(`${problem}: ${text.replace(/\s+/g, ' ').slice(0, 120)}`);
    }
    expect(problems).toEqual([]);
  });
});
