import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase, openPostgres, prepared, type Db } from '../../src/db/index.js';
import { ensureCreditAccount, grantCredits } from '../../src/ledger/index.js';
import { createUser } from '../../src/users/index.js';
import { adminQuery, adminRows, APP_ROWS, createAppTables, readAppTables, usingPostgres, withDatabase } from '../helpers/db.js';
import { havePgBouncer, startPgBouncer, type RunningPgBouncer } from '../helpers/pgbouncer.js';

const serverUrl = process.env.TEST_DATABASE_URL ?? '';
const CLIENTS = 12;

/**
 * Settle through a real PgBouncer in transaction mode, with two server connections for twelve clients: every
 * transaction may land on another server connection than the one before, and shares it with the app's own clients.
 */
describe.skipIf(!usingPostgres() || !havePgBouncer())('through a transaction-mode PgBouncer (DATABASE_POOLER=transaction)', () => {
  let bouncer: RunningPgBouncer;
  let database: string;
  let db: Db;
  const pooledUrl = () => `${bouncer.url(database)}?pgbouncer=true`;

  beforeAll(async () => {
    database = `settle_pooler_${randomBytes(4).toString('hex')}`;
    await adminQuery(serverUrl, `CREATE DATABASE ${database}`);
    await createAppTables(withDatabase(serverUrl, database));
    bouncer = await startPgBouncer({ poolSize: 2 });
    db = openPostgres(pooledUrl(), { max: CLIENTS });
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await bouncer?.stop();
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('runs the same prepared statements from many clients over two server connections without a prepared-statement error', async () => {
    const count = prepared('countUsersByPrefix', `SELECT count(*)::int AS n FROM users WHERE email LIKE $1`);
    const users = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => createUser(db, { email: `pool${i}@example.com`, credits: 10, role: 'user' })));
    const rounds = await Promise.all(
      Array.from({ length: CLIENTS * 10 }, async (_, i) => {
        const user = users[i % CLIENTS]!;
        await grantCredits(db, { userId: user.userId, amount: 1 });
        return (await db.query<{ n: number }>(count, ['pool%'])).rows[0]!.n;
      }),
    );
    expect(new Set(rounds)).toEqual(new Set([CLIENTS]));
    const balances = await db.query<{ balance: number }>(`SELECT balance FROM user_credits ORDER BY balance`);
    expect(balances.rows.map((r) => r.balance)).toEqual(Array(CLIENTS).fill(20));
  });

  it("leaves no session state on the pooled server connections: the app's clients through the same pooler see their own tables", async () => {
    for (let i = 0; i < 20; i++) await ensureCreditAccount(db, (await createUser(db, { email: `state${i}@example.com`, credits: 0, role: 'user' })).userId);
    const app = openPostgres(bouncer.url(database), { schema: 'public', pooler: 'transaction' });
    try {
      for (let i = 0; i < 10; i++) {
        const seen = await adminRows(bouncer.url(database), `SELECT current_setting('search_path') AS path, (SELECT count(*)::int FROM users) AS users`);
        expect(seen).toEqual([{ path: '"$user", public', users: 1 }]);
      }
      expect(await app.query('SELECT email, plan FROM users')).toMatchObject({ rows: [{ email: 'owner@app.example', plan: 'pro' }] });
    } finally {
      await app.close();
    }
    expect(await readAppTables(withDatabase(serverUrl, database))).toMatchObject(APP_ROWS);
  });

  it('a direct-mode connection pointed at the pooler fails with one line that says to set DATABASE_POOLER', async () => {
    const attempt = openDatabase({ databaseUrl: bouncer.url(database), dataDir: '/nonexistent', waitMs: 0 });
    await expect(attempt).rejects.toThrow(/refuses the startup options .* set DATABASE_POOLER=transaction$/);
  });
});
