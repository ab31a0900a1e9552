import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMigrations, migrate } from '../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

describe('migrations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('records every numbered migration once and applies nothing the second time', async () => {
    const rows = await t.db.query<{ version: number }>('SELECT version FROM settle_migrations ORDER BY version');
    expect(rows.rows.map((r) => r.version)).toEqual(listMigrations().map((m) => m.version));
    expect(await migrate(t.db)).toEqual([]);
  });

  it('runs concurrently without error', async () => {
    const results = await Promise.all([migrate(t.db), migrate(t.db), migrate(t.db)]);
    expect(results.flat()).toEqual([]);
  });

  it('refuses updates and deletes on the credit journal', async () => {
    const userId = '00000000-0000-4000-8000-000000000001';
    await t.db.query(`INSERT INTO users (id, email) VALUES ($1, 'journal@example.com')`, [userId]);
    await t.db.query(`INSERT INTO credit_transactions (user_id, type, amount, reference_id) VALUES ($1, 'grant', 5, 'g1')`, [userId]);
    await expect(t.db.query(`UPDATE credit_transactions SET amount = 6`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM credit_transactions`)).rejects.toThrow(/append-only/);
    const left = await t.db.query<{ amount: number }>('SELECT amount FROM credit_transactions');
    expect(left.rows).toEqual([{ amount: 5 }]);
  });
});
