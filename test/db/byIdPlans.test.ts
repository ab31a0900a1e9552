import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statementText } from '../../src/db/index.js';
import { claimStuckTasks } from '../../src/tasks/sql/stuckTasks.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createUser } from '../ledger/fixtures.js';

/** The statement the claim sends, captured rather than copied, to be explained with the same text. */
async function claimStatement(): Promise<string> {
  let text = '';
  await claimStuckTasks({ query: async (statement) => ((text = statementText(statement)), { rows: [], rowCount: 0 }), exec: async () => {} }, [], '', 0, 0);
  return text;
}

describe('claiming stuck tasks after a mass dispatch the statistics have not seen', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    const userId = await createUser(t.db);
    await t.db.query(
      `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, created_at)
       SELECT gen_random_uuid(), $1, 'video', 'sora-2-text-to-video', 'kie', '{}', 'pending', 30, 2, 1200000, now() - interval '20 minutes'
         FROM generate_series(1, 5000)`,
      [userId],
    );
    await t.db.exec('ANALYZE tasks');
    // After an outage: every task dispatched at once, then stuck, before autoanalyze looks again.
    await t.db.query(
      `UPDATE tasks SET status = 'processing', provider_task_id = 'p-' || id, processing_started_at = now() - interval '20 minutes'`,
    );
  });
  afterAll(() => t.drop());

  it('finds the given tasks by their primary key, not by walking every processing task of an index on status', async () => {
    const { rows: ids } = await t.db.query<{ id: string }>('SELECT id FROM tasks LIMIT 64');
    const text = await claimStatement();
    const plan = await t.db.transaction(async (tx) => {
      await tx.query(`PREPARE claim_plan(uuid[], text, double precision, double precision) AS ${text}`);
      // The plan the prepared statement settles on after its first executions.
      await tx.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      const { rows } = await tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE claim_plan('{${ids.map((r) => r.id).join(',')}}', 'lease', 120000, 600000)`,
      );
      await tx.query('DEALLOCATE claim_plan');
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    const scans = plan.split('\n').filter((line) => /Scan/.test(line)).join('\n');
    expect(scans).not.toMatch(/tasks_status_created_idx|tasks_active_idx|tasks_user_status_idx/);
    expect(scans).toMatch(/tasks_pkey/);
  });
});
