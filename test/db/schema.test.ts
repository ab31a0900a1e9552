import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listMigrations, migrate, openPostgres, type Db } from '../../src/db/index.js';
import { grantCredits } from '../../src/ledger/index.js';
import { createUser, findUserByEmail } from '../../src/users/index.js';
import { runCli } from '../helpers/cli.js';
import { adminQuery, adminRows, APP_ROWS, createAppTables, readAppTables, usingPostgres, withDatabase } from '../helpers/db.js';

const serverUrl = process.env.TEST_DATABASE_URL ?? '';
/** Every table Settle's migrations create, and the migrations' own record. */
const SETTLE_TABLES = [...listMigrations().flatMap((m) => [...m.sql.matchAll(/CREATE TABLE (\w+)/g)].map((x) => x[1]!)), 'settle_migrations'].sort();

/** A database of its own for one case, on a direct connection (no pooler: this is about where tables land). */
async function freshDatabase(purpose: string): Promise<string> {
  const name = `${purpose}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  created.push(name);
  return withDatabase(serverUrl, name);
}
const created: string[] = [];
const opened: Db[] = [];
const open = (url: string, schema?: string): Db => {
  const db = openPostgres(url, { schema, max: 4 });
  opened.push(db);
  return db;
};

const tablesIn = async (url: string, schema: string): Promise<string[]> =>
  (await adminRows<{ t: string }>(url, `SELECT tablename AS t FROM pg_tables WHERE schemaname = '${schema}' ORDER BY 1`)).map((r) => r.t);

/** An install as the versions before DATABASE_SCHEMA made it: migrations 0001-0006 run in public, with their history. */
async function earlierInstall(url: string): Promise<void> {
  const db = open(url, 'public');
  await db.exec(`CREATE TABLE settle_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const m of listMigrations().filter((m) => m.version <= 6)) {
    await db.exec(m.sql);
    await db.query('INSERT INTO settle_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
}

/** A user as the versions before 0009 wrote one: today's createUser writes columns those versions did not have. */
async function earlierUser(db: Db, email: string, credits: number): Promise<{ userId: string }> {
  const userId = randomUUID();
  await db.query('INSERT INTO users (id, email) VALUES ($1, $2)', [userId, email]);
  await db.query('INSERT INTO user_credits (user_id, balance) VALUES ($1, $2)', [userId, credits]);
  await db.query(`INSERT INTO credit_transactions (user_id, type, amount, reference_id) VALUES ($1, 'grant', $2, $3)`, [userId, credits, `signup:${userId}`]);
  return { userId };
}

describe.skipIf(!usingPostgres())('its own schema on PostgreSQL (DATABASE_SCHEMA)', () => {
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });
  afterAll(async () => {
    for (const name of created) await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it("migrates a database that already holds an app's users and tasks, into schema settle, leaving the app's tables alone", async () => {
    const url = await freshDatabase('settle_schema_shared');
    await createAppTables(url);
    const db = open(url);
    expect(await migrate(db)).toEqual(listMigrations().map((m) => m.name));
    expect(await tablesIn(url, 'settle')).toEqual(SETTLE_TABLES);
    expect(await tablesIn(url, 'public')).toEqual(['tasks', 'users']);

    const user = await createUser(db, { email: 'buyer@example.com', credits: 40, role: 'user' });
    await grantCredits(db, { userId: user.userId, amount: 2 });
    expect(await adminRows(url, `SELECT email FROM settle.users`)).toEqual([{ email: 'buyer@example.com' }]);
    expect(await readAppTables(url)).toMatchObject(APP_ROWS);
  });

  it('`settle migrate` on such a database: exit 0, and a second run finds it up to date', async () => {
    const url = await freshDatabase('settle_schema_cli');
    await createAppTables(url);
    const first = await runCli(['migrate'], { DATABASE_URL: url });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Applied \d+ migration/);
    const second = await runCli(['migrate'], { DATABASE_URL: url });
    expect(second.stdout.trim()).toBe('Database is up to date.');
    expect(await readAppTables(url)).toMatchObject(APP_ROWS);
  });

  it('moves an earlier install out of public with its rows, history, sequence and journal trigger', async () => {
    const url = await freshDatabase('settle_schema_moved');
    await earlierInstall(url);
    const before = open(url, 'public');
    const user = await earlierUser(before, 'early@example.com', 25);
    const journalBefore = await before.query<{ id: number }>('SELECT id FROM credit_transactions');

    const db = open(url);
    const applied = await migrate(db);
    expect(applied[0]).toBe('0009_own_schema.sql');
    expect(applied.slice(1)).toEqual(listMigrations().filter((m) => m.version > 6 && m.version !== 9).map((m) => m.name));
    expect(await tablesIn(url, 'public')).toEqual([]);
    expect(await tablesIn(url, 'settle')).toEqual(SETTLE_TABLES);
    expect(await findUserByEmail(db, 'early@example.com')).toMatchObject({ id: user.userId });
    const history = await db.query<{ version: number }>('SELECT version FROM settle_migrations ORDER BY version');
    expect(history.rows.map((r) => r.version)).toEqual(listMigrations().map((m) => m.version));

    await grantCredits(db, { userId: user.userId, amount: 5 });
    const journal = await db.query<{ id: number }>('SELECT id FROM credit_transactions ORDER BY id');
    expect(journal.rows.map((r) => r.id)).toEqual([...journalBefore.rows.map((r) => r.id), journalBefore.rows.at(-1)!.id + 1]);
    await expect(db.query('DELETE FROM credit_transactions')).rejects.toThrow(/append-only/);
    expect(await migrate(db)).toEqual([]);
  });

  it('DATABASE_SCHEMA=public keeps an install where it is', async () => {
    const url = await freshDatabase('settle_schema_public');
    await earlierInstall(url);
    const db = open(url, 'public');
    await migrate(db);
    expect(await tablesIn(url, 'public')).toEqual(SETTLE_TABLES);
    expect(await adminRows(url, `SELECT 1 FROM pg_namespace WHERE nspname = 'settle'`)).toEqual([]);
  });

  it('the move names only tables the versions before it created', () => {
    const move = readFileSync(new URL('../../src/db/migrations/0009_own_schema.sql', import.meta.url), 'utf8');
    const earlier = listMigrations().filter((m) => m.version < 9).map((m) => m.sql).join('\n');
    const createdBefore = [...earlier.matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1]!).concat('settle_migrations').sort();
    const moved = [...move.matchAll(/'(\w+)'/g)].map((m) => m[1]!).filter((n) => n !== 'public').sort();
    expect(moved).toEqual(createdBefore);
  });
});
