import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { statementText, type Db, type Queryable, type Statement } from '../src/db/index.js';
import { captureHolds } from '../src/ledger/index.js';
import { pageKeyOf } from '../src/db/keyset.js';
import { claimStuckTasks, findStuckTasks } from '../src/tasks/sql/stuckTasks.js';
import { claimDueTasks } from '../src/tasks/sql/claimDueTasks.js';
import { recordDispatches, recordIngestKeys } from '../src/tasks/sql/fencedUpdates.js';
import { insertTasks, type NewTaskRow } from '../src/tasks/sql/insertTasks.js';
import { markCompletedMany } from '../src/tasks/sql/markCompletedMany.js';
import { createBenchDatabase, dropTemplate } from './benchDatabase.js';

/**
 * EXPLAIN (ANALYZE, BUFFERS, WAL) of the hot statements, as Settle sends them, on a table of finished and stuck
 * processing tasks: `npm run bench:explain [-- --finished 100000 --stuck 10000]` (DATABASE_URL or TEST_DATABASE_URL,
 * else PGlite). Then what one settlement writes (ingest, completion, capture), as migrated and without round 2's
 * additions to the tasks table. Everything runs in one transaction that is rolled back. A group is 64 tasks, the
 * bench's concurrency.
 */
const { values: sizes } = parseArgs({ options: { finished: { type: 'string', default: '100000' }, stuck: { type: 'string', default: '10000' } } });
const FINISHED = Number(sizes.finished);
const STUCK = Number(sizes.stuck);
const GROUP = 64;
const MINUTE = 60_000;

class RolledBack extends Error {}

async function main(): Promise<void> {
  if (!(Number.isInteger(FINISHED) && FINISHED > 0 && Number.isInteger(STUCK) && STUCK > 6 * GROUP)) {
    throw new Error(`--finished must be a positive integer and --stuck one above ${6 * GROUP}`);
  }
  const database = await createBenchDatabase();
  const db = await database.open(2);
  try {
    await seed(db);
    const plans: { name: string; plan: string }[] = [];
    const costs: WriteCost[] = [];
    await db.transaction(async (tx) => {
      await explainAll(tx, plans, database.users.map((u) => u.userId));
      await measureWriteCosts(tx, costs);
      throw new RolledBack();
    }).catch((err) => {
      if (!(err instanceof RolledBack)) throw err;
    });
    console.log(`# Hot statements on ${database.kind}, ${FINISHED} finished and ${STUCK} stuck tasks, groups of ${GROUP}\n`);
    for (const { name, plan } of plans) console.log(`## ${name}\n\n\`\`\`text\n${plan}\n\`\`\`\n`);
    console.log(writeCostTable(costs));
  } finally {
    await db.close();
    await database.drop();
    await dropTemplate();
  }
}

/** Each statement explained in the order a settlement and a submission send them. */
async function explainAll(tx: Queryable, plans: { name: string; plan: string }[], userIds: string[]): Promise<void> {
  const as = (name: string) => explaining(tx, plans, name);
  const lease = `explain:${randomUUID()}`;
  await claimDueTasks(as('claimDueTasks (worker)'), lease, 2 * MINUTE, GROUP);
  const stuck = await findStuckTasks(tx, 10 * MINUTE, 1000);
  await findStuckTasks(as('findStuckTasks (reconciler, first page)'), 10 * MINUTE, 1000);
  await findStuckTasks(as('findStuckTasks (reconciler, next page)'), 10 * MINUTE, 1000, pageKeyOf(stuck.at(-1)!));
  const ids = stuck.slice(GROUP, 2 * GROUP).map((t) => t.id);
  await claimStuckTasks(as('claimStuckTasks (reconciler)'), ids, lease, 2 * MINUTE, 10 * MINUTE);
  await recordIngestKeys(as('recordIngestKeys (ingest, one task)'), [{ taskId: ids[0]!, lease, leaseMs: 2 * MINUTE, key: assetKeyOf(ids[0]!), first: true }]);
  await markCompletedMany(as('markCompletedMany (settlement)'), completionsOf(ids, lease));
  await captureHolds(as('captureHolds (settlement)'), ids);
  const submissions = userIds.slice(0, GROUP).map((userId) => newTask(userId, lease));
  await insertTasks(as('insertTasks (submission)'), submissions);
  await recordDispatches(as('recordDispatches (submission)'), submissions.map((t) => ({ taskId: t.id, lease, providerTaskId: `p-${t.id}`, firstCheckMs: 5000 })));
}

const assetKeyOf = (taskId: string) => `assets/${taskId.slice(0, 2)}/${taskId}-0.mp4`;

function completionsOf(ids: string[], lease: string) {
  return ids.map((taskId) => ({ taskId, lease, assetKeys: [assetKeyOf(taskId)], providerCompletedAt: new Date(), path: 'reconciler' as const }));
}

interface WriteCost {
  variant: string;
  ms: number;
  triggerMs: number;
  walRecords: number;
  walFpi: number;
  walBytes: number;
  dirtied: number;
}

/** The tasks table as migrated, then without what round 2 added to each settlement's writes (migrations 0018-0020). */
const VARIANTS: { name: string; ddl: string[] }[] = [
  { name: 'as migrated', ddl: [] },
  { name: "without the counters' trigger (0018)", ddl: ['ALTER TABLE tasks DISABLE TRIGGER task_counts_update'] },
  {
    name: "without the counters' trigger, the keyset indexes (0019) and the prune index (0020)",
    ddl: ['ALTER TABLE tasks DISABLE TRIGGER task_counts_update', 'DROP INDEX tasks_created_idx', 'DROP INDEX tasks_status_created_idx', 'DROP INDEX tasks_prunable_idx'],
  },
];

/**
 * Settles a fresh group of stuck tasks under each variant, each in a savepoint rolled back after: every task's
 * ingest key (migration 0021's write, one statement for the group), then the group's completion and capture, as the reconciler sends them.
 */
async function measureWriteCosts(tx: Queryable, costs: WriteCost[]): Promise<void> {
  const stuck = await findStuckTasks(tx, 10 * MINUTE, 1000, undefined);
  for (const [i, variant] of VARIANTS.entries()) {
    const ids = stuck.slice((3 + i) * GROUP, (4 + i) * GROUP).map((t) => t.id);
    const lease = `explain:${randomUUID()}`;
    await tx.query('SAVEPOINT write_cost');
    for (const ddl of variant.ddl) await tx.query(ddl);
    await claimStuckTasks(tx, ids, lease, 2 * MINUTE, 10 * MINUTE);
    const cost: WriteCost = { variant: variant.name, ms: 0, triggerMs: 0, walRecords: 0, walFpi: 0, walBytes: 0, dirtied: 0 };
    const measured = measuring(tx, cost);
    await recordIngestKeys(measured, ids.map((id) => ({ taskId: id, lease, leaseMs: 2 * MINUTE, key: assetKeyOf(id), first: true })));
    await markCompletedMany(measured, completionsOf(ids, lease));
    await captureHolds(measured, ids);
    costs.push(cost);
    await tx.query('ROLLBACK TO SAVEPOINT write_cost');
  }
}

interface JsonPlan {
  Plan: { 'WAL Records'?: number; 'WAL FPI'?: number; 'WAL Bytes'?: number; 'Shared Dirtied Blocks'?: number };
  'Execution Time': number;
  Triggers?: { Time: number }[];
}

/** Runs each statement under EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON), adding its figures to cost. */
function measuring(tx: Queryable, cost: WriteCost): Queryable {
  return {
    async query<T>(statement: Statement, params?: unknown[]) {
      const { rows } = await tx.query<{ 'QUERY PLAN': JsonPlan[] | string }>(`EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) ${statementText(statement)}`, params);
      const raw = rows[0]!['QUERY PLAN'];
      const [explained] = typeof raw === 'string' ? (JSON.parse(raw) as JsonPlan[]) : raw;
      cost.ms += explained!['Execution Time'];
      cost.triggerMs += (explained!.Triggers ?? []).reduce((sum, t) => sum + t.Time, 0);
      cost.walRecords += explained!.Plan['WAL Records'] ?? 0;
      cost.walFpi += explained!.Plan['WAL FPI'] ?? 0;
      cost.walBytes += explained!.Plan['WAL Bytes'] ?? 0;
      cost.dirtied += explained!.Plan['Shared Dirtied Blocks'] ?? 0;
      return { rows: [] as T[], rowCount: 0 };
    },
    exec: (script) => tx.exec(script),
  };
}

function writeCostTable(costs: WriteCost[]): string {
  const per = (n: number) => (n / GROUP).toFixed(n / GROUP < 10 ? 2 : 0);
  const lines = costs.map((c) =>
    `| ${c.variant} | ${per(c.ms)} | ${per(c.triggerMs)} | ${per(c.walRecords)} | ${per(c.walFpi)} | ${per(c.walBytes)} | ${per(c.dirtied)} |`,
  );
  return [
    `# Write cost of one settlement (ingest key, completion, capture), per task, over a group of ${GROUP}\n`,
    '| tasks table | execution ms | trigger ms | WAL records | WAL full pages | WAL bytes | buffers dirtied |',
    '|---|---|---|---|---|---|---|',
    ...lines,
    '',
  ].join('\n');
}

/** Runs each statement under EXPLAIN ANALYZE (so it still takes effect inside the transaction) and keeps its plan. */
function explaining(tx: Queryable, plans: { name: string; plan: string }[], name: string): Queryable {
  return {
    async query<T>(statement: Statement, params?: unknown[]) {
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, WAL) ${statementText(statement)}`, params);
      plans.push({ name, plan: rows.map((r) => r['QUERY PLAN']).join('\n') });
      return { rows: [] as T[], rowCount: 0 };
    },
    exec: (script) => tx.exec(script),
  };
}

function newTask(userId: string, lease: string): NewTaskRow {
  return {
    id: randomUUID(), userId, type: 'video', model: 'sora-2-text-to-video', provider: 'kie', input: { prompt: 'explain' },
    price: 30, maxAttempts: 2, timeoutMs: 20 * MINUTE, requestHash: 'explain', lease, leaseMs: 30_000,
    pendingDeadlineMs: 30 * 60_000,
    holdExpiresAt: new Date(Date.now() + 3_600_000),
    dispatchStarted: true,
  };
}

/** Finished tasks spread over the users, then stuck processing ones with open holds, then fresh statistics. */
async function seed(db: Db): Promise<void> {
  const insert = (count: number, status: string, extra: string) =>
    db.query(`
      WITH users AS (SELECT user_id, row_number() OVER (ORDER BY user_id) - 1 AS i FROM user_credits)
      INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, attempts,
                         provider_task_id, dispatched_at, processing_started_at, deadline_at, next_check_at, completed_at, created_at)
      SELECT gen_random_uuid(), u.user_id, 'video', 'sora-2-text-to-video', 'kie', '{"prompt":"seed"}', '${status}', 30, 2, 1200000, 1,
             'seed-' || '${status}' || '-' || g, ${extra}
        FROM generate_series(0, ${count - 1}) g JOIN users u ON u.i = g % (SELECT count(*) FROM users)`);
  const ago = (minutes: number) => `now() - interval '${minutes} minutes'`;
  await insert(FINISHED, 'completed', `${ago(1500)}, ${ago(1500)}, ${ago(1480)}, NULL, ${ago(1490)}, ${ago(1500)}`);
  await insert(STUCK, 'processing', `${ago(20)}, ${ago(20)}, now() + interval '1 hour', now() - interval '1 second', NULL, ${ago(20)}`);
  await db.query(`INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at)
                  SELECT gen_random_uuid(), id, user_id, price, 'open', now() + interval '1 day' FROM tasks WHERE status = 'processing'`);
  await db.query(`UPDATE user_credits c SET frozen_balance = c.frozen_balance + h.amount
                    FROM (SELECT user_id, sum(amount) AS amount FROM credit_holds GROUP BY user_id) h WHERE h.user_id = c.user_id`);
  await db.exec('ANALYZE');
}

await main();
