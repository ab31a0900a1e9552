import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/index.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/db.js';

describe.skipIf(!usingPostgres())('node-postgres pool (PostgreSQL only)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.drop());

  it('a connection lost mid-transaction (a database restart) rejects that transaction, does not crash the process, and is not reused', async () => {
    const db = openPostgres(t.url!, { max: 1 });
    try {
      const transaction = db.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await t.db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await tx.query('SELECT 1');
      });
      await expect(transaction).rejects.toThrow(/connection/);
      // Had the broken client gone back to the pool (of one), this would fail on it.
      await expect(db.query<{ ok: number }>('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
    } finally {
      await db.close();
    }
  });
});
