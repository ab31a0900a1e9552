import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openPglite, openPostgres, type Db } from '../../src/db/index.js';

export interface TestDatabase {
  db: Db;
  /** postgres:// URL of this test's own database, or undefined on the embedded database. */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a new database on the server named
 * by TEST_DATABASE_URL (dropped afterwards), so test files never see each other's rows.
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
  const url = withDatabase(serverUrl, name);
  const db = openPostgres(url, { max: 20 });
  await migrate(db);
  return {
    db,
    url,
    async drop() {
      await db.close();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export const usingPostgres = (): boolean => Boolean(process.env.TEST_DATABASE_URL);

/** The same server URL naming another database. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One statement on its own connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
