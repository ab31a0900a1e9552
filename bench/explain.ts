import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { statementText, type Db, type Queryable, type Statement } from '../src/db/index.js';
import { captureHolds } from '../src/ledger/index.js';
import { pageKeyOf } from '../src/db/keyset.js';
import { claimStuckTasks, findStuckTasks } from '../src/tasks/sql/stuckTasks.js';
import { claimDueTasks } from '../src/tasks/sql/claimDueTasks.js';
import { recordDispatches } from '../src/tasks/sql/fencedUpdates.js';
import { insertTasks, type NewTaskRow } from '../src/tasks/sql/insertTasks.js';
import { markCompletedMany } from '../src/tasks/sql/markCompletedMany.js';
import { createBenchDatabase, dropTemplate } from './benchDatabase.js';

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the hot statements, as Settle sends them, on a table of finished and stuck processing
 * tasks: `npm run bench:explain [-- --finished 100000 --stuck 10000]` (DATABASE_URL or TEST_DATABASE_URL, else
 * PGlite). Everything runs in one transaction that is rolled back. A group is 64 tasks, the bench's concurrency.
 */
const { values: sizes } = parseArgs({ options: { finished: { type: 'string', default: '100000' }, stuck: { type: 'string', default: '10000' } } });
const FINISHED = Number(sizes.finished);
const STUCK = Number(sizes.stuck);
const GROUP = 64;
const MINUTE = 60_000;

class RolledBack extends Error {}

async function main(): Promise<void> {
  if (!(Number.isInteger(FINISHED) && FINISHED > 0 && Number.isInteger(STUCK) && STUCK > 2 * GROUP)) {
    throw new Error(`--finished must be a positive integer and --stuck one above ${2 * GROUP}`);
  }
  const database = await createBenchDatabase();
  const db = await database.open(2);
  try {
    await seed(db);
    const plans: { name: string; plan: string }[] = [];
    await db.transaction((tx) => explainAll(tx, plans, database.users.map((u) => u.userId))).catch((err) => {
      if (!(err instanceof RolledBack)) throw err;
    });
    console.log(`# Hot statements on ${database.kind}, ${FINISHED} finished and ${STUCK} stuck tasks, groups of ${GROUP}\n`);
    for (const { name, plan } of plans) console.log(`## ${name}\n\n\`\`\`text\n${plan}\n\`\`\`\n`);
  } finally {
    await db.close();
    await database.drop();
    await dropTemplate();
  }
}

/** Each statement explained in the order a settlement and a submission send them; the transaction then rolls back. */
async function explainAll(tx: Queryable, plans: { name: string; plan: string }[], userIds: string[]): Promise<never> {
  const as = (name: string) => explaining(tx, plans, name);
  const lease = `explain:${randomUUID()}`;
  await claimDueTasks(as('claimDueTasks (worker)'), lease, 2 * MINUTE, GROUP);
  const stuck = await findStuckTasks(tx, 10 * MINUTE, 1000);
  await findStuckTasks(as('findStuckTasks (reconciler, first page)'), 10 * MINUTE, 1000);
  await findStuckTasks(as('findStuckTasks (reconciler, next page)'), 10 * MINUTE, 1000, pageKeyOf(stuck.at(-1)!));
  const ids = stuck.slice(GROUP, 2 * GROUP).map((t) => t.id);
  await claimStuckTasks(as('claimStuckTasks (reconciler)'), ids, lease, 2 * MINUTE, 10 * MINUTE);
  const completions = ids.map((taskId) => ({ taskId, lease, assetKeys: [`assets/${taskId.slice(0, 2)}/${taskId}-0.mp4`], providerCompletedAt: new Date(), path: 'reconciler' as const }));
  await markCompletedMany(as('markCompletedMany (settlement)'), completions);
  await captureHolds(as('captureHolds (settlement)'), ids);
  const submissions = userIds.slice(0, GROUP).map((userId) => newTask(userId, lease));
  await insertTasks(as('insertTasks (submission)'), submissions);
  await recordDispatches(as('recordDispatches (submission)'), submissions.map((t) => ({ taskId: t.id, lease, providerTaskId: `p-${t.id}`, firstCheckMs: 5000 })));
  throw new RolledBack();
}

/** Runs each statement under EXPLAIN ANALYZE (so it still takes effect inside the transaction) and keeps its plan. */
function explaining(tx: Queryable, plans: { name: string; plan: string }[], name: string): Queryable {
  return {
    async query<T>(statement: Statement, params?: unknown[]) {
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statementText(statement)}`, params);
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
