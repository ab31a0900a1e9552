import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openPglite, openPostgres, type Db } from '../../src/db/index.js';

export interface TestDatabase {
  db: Db;
  /**
   * postgres:// URL of this test's own database as Settle reaches it (through the pooler when TEST_POOLER_URL is
   * set, with `pgbouncer=true` so every process given it works in transaction mode), or undefined on PGlite.
   */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a new database on the server named
 * by TEST_DATABASE_URL (dropped afterwards), so test files never see each other's rows.
 *
 * Two switches run the whole suite the way Settle is deployed beside another app:
 * - TEST_POOLER_URL (e.g. a PgBouncer in transaction mode in front of TEST_DATABASE_URL's server): Settle's
 *   connections go through it; creating and dropping the database stays direct.
 * - TEST_APP_TABLES=1: each database first gets another app's `users` and `tasks` in public, one row each; the drop
 *   fails the test file if Settle changed them.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const db = await openPglite();
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const name = `settle_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const directUrl = withDatabase(serverUrl, name);
  if (appTablesWanted()) await createAppTables(directUrl);
  const url = systemUrl(name) ?? directUrl;
  const db = openPostgres(url, { max: 20 });
  await migrate(db);
  return {
    db,
    url,
    async drop() {
      await db.close();
      try {
        if (appTablesWanted()) await expectAppTablesUntouched(directUrl);
      } finally {
        await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    },
  };
}

export const usingPostgres = (): boolean => Boolean(process.env.TEST_DATABASE_URL);

/** True when the suite runs through a transaction pooler (TEST_POOLER_URL). */
export const usingPooler = (): boolean => usingPostgres() && Boolean(process.env.TEST_POOLER_URL);

const appTablesWanted = (): boolean => usingPostgres() && process.env.TEST_APP_TABLES === '1';

/** The URL Settle gets for the named database: through the pooler when one is configured. */
function systemUrl(database: string): string | undefined {
  const pooler = process.env.TEST_POOLER_URL;
  if (!pooler) return undefined;
  const url = new URL(withDatabase(pooler, database));
  url.searchParams.set('pgbouncer', 'true');
  return url.toString();
}

/** The same server URL naming another database. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One statement on its own connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  await adminRows(serverUrl, sql);
}

/** The rows of one statement on its own direct connection, with the server's default search path. */
export async function adminRows<T = Record<string, unknown>>(serverUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Another app's tables, named like Settle's, as a team sharing its database with Settle has them. */
const APP_TABLES_SQL = `
  CREATE TABLE public.users (id serial PRIMARY KEY, email text NOT NULL, plan text NOT NULL);
  CREATE TABLE public.tasks (id serial PRIMARY KEY, title text NOT NULL, done boolean NOT NULL);
  INSERT INTO public.users (email, plan) VALUES ('owner@app.example', 'pro');
  INSERT INTO public.tasks (title, done) VALUES ('ship the landing page', false);`;

export const APP_ROWS = {
  users: [{ id: 1, email: 'owner@app.example', plan: 'pro' }],
  tasks: [{ id: 1, title: 'ship the landing page', done: false }],
};

export async function createAppTables(databaseUrl: string): Promise<void> {
  await adminQuery(databaseUrl, APP_TABLES_SQL);
}

/** The app's tables and rows exactly as created: same columns, same rows, nothing added. */
export async function readAppTables(databaseUrl: string): Promise<{ users: unknown[]; tasks: unknown[]; columns: unknown[] }> {
  return {
    users: await adminRows(databaseUrl, 'SELECT * FROM public.users ORDER BY id'),
    tasks: await adminRows(databaseUrl, 'SELECT * FROM public.tasks ORDER BY id'),
    columns: await adminRows(
      databaseUrl,
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    ),
  };
}

async function expectAppTablesUntouched(databaseUrl: string): Promise<void> {
  const found = await readAppTables(databaseUrl);
  const expected = {
    ...APP_ROWS,
    columns: [
      { table_name: 'tasks', column_name: 'id' },
      { table_name: 'tasks', column_name: 'title' },
      { table_name: 'tasks', column_name: 'done' },
      { table_name: 'users', column_name: 'id' },
      { table_name: 'users', column_name: 'email' },
      { table_name: 'users', column_name: 'plan' },
    ],
  };
  if (JSON.stringify(found) !== JSON.stringify(expected)) {
    throw new Error(`Settle changed the app's tables in public: ${JSON.stringify(found)}`);
  }
}
