import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTasksAtProvider } from '../../src/tasks/index.js';
import { statementText } from '../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createUser } from '../ledger/fixtures.js';

const NOBODY = '00000000-0000-0000-0000-000000000000';

/** The statement the count sends, captured rather than copied, to be explained with the same text. */
async function countStatement(): Promise<string> {
  let text = '';
  await countTasksAtProvider({ query: async (statement) => ((text = statementText(statement)), { rows: [{ n: 0 }] as never[], rowCount: 1 }), exec: async () => {} }, '', '');
  return text;
}

/** `count` tasks per user in `status`. */
async function insertTasks(t: TestDatabase, users: string[], count: number, status: 'processing' | 'completed'): Promise<void> {
  await t.db.query(
    `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, provider_task_id, completed_at)
     SELECT gen_random_uuid(), u, 'video', 'sora-2-text-to-video', 'kie', '{}', $3, 30, 2, 1200000, gen_random_uuid()::text,
            CASE WHEN $3 = 'completed' THEN now() END
       FROM unnest($1::uuid[]) AS u, generate_series(1, $2::integer) AS i`,
    [users, count, status],
  );
}

describe("counting a user's tasks at the provider (fair dispatch, USER_MAX_ACTIVE_TASKS)", () => {
  let t: TestDatabase;
  let userId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    const users = [];
    for (let i = 0; i < 100; i++) users.push(await createUser(t.db));
    userId = users[0]!;
    // Every user has a history; the others have 30 live tasks each, thousands that an index on live tasks walks.
    await insertTasks(t, users, 50, 'completed');
    await insertTasks(t, users.slice(1), 30, 'processing');
    await insertTasks(t, [userId], 3, 'processing');
    await t.db.exec('ANALYZE tasks');
  });
  afterAll(() => t.drop());

  it("reads only this user's live tasks through an index: not the history, not other users' live tasks", async () => {
    expect(await countTasksAtProvider(t.db, userId, NOBODY)).toBe(3);
    const text = await countStatement();
    const { rows } = await t.db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${text.replace('$1', `'${userId}'`).replace('$2', `'${NOBODY}'`)}`,
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).not.toMatch(/Seq Scan/);
    const buffers = [...plan.matchAll(/shared hit=(\d+)(?: read=(\d+))?/g)].map((m) => Number(m[1]) + Number(m[2] ?? 0));
    expect(Math.max(...buffers), plan).toBeLessThan(20);
  });
});
