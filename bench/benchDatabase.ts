import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, openPglite, openPostgres, type Db } from '../src/db/index.js';

/** A fresh database for one section, on the server the run targets or embedded; dropped afterwards. */
export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** postgres:// URL of this database (pgbench, pg-boss); undefined on PGlite. */
  url?: string;
  /** What a `settle` process needs to use this database: DATABASE_URL, or SETTLE_DATA_DIR of the embedded one. */
  env: Record<string, string>;
  /** A migrated connection. PGlite's data directory may be open in one process at a time: close it first. */
  open(poolSize?: number): Promise<Db>;
  drop(): Promise<void>;
}

/** DATABASE_URL, then TEST_DATABASE_URL; neither set means the embedded database. */
export function targetServerUrl(): string | undefined {
  return process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
}

export function createBenchDatabase(serverUrl = targetServerUrl()): Promise<BenchDatabase> {
  return serverUrl ? createOnServer(serverUrl) : createEmbedded();
}

async function createOnServer(serverUrl: string): Promise<BenchDatabase> {
  const name = `settle_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  return {
    kind: 'postgres',
    url: dbUrl,
    env: { DATABASE_URL: dbUrl },
    open: async (poolSize = 10) => migrated(openPostgres(dbUrl, { max: poolSize })),
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

let template: Promise<string> | undefined;

/**
 * A migrated, empty embedded database made once per run and copied for each section, as CREATE DATABASE copies
 * template1: a PGlite initdb takes seconds, a copy of its closed data directory a few milliseconds.
 */
function embeddedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'settle-bench-template-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const db = await openPglite(join(dir, 'pgdata'));
    await migrate(db);
    await db.close();
    return dir;
  })();
  return template;
}

/** On disk, where `settle serve` keeps it (SETTLE_DATA_DIR/pgdata), so a child process can serve the same data. */
async function createEmbedded(): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'settle-bench-db-'));
  cpSync(await embeddedTemplate(), dataDir, { recursive: true });
  return {
    kind: 'pglite',
    env: { SETTLE_DATA_DIR: dataDir },
    open: async () => migrated(await openPglite(join(dataDir, 'pgdata'))),
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function migrated(db: Db): Promise<Db> {
  await migrate(db);
  return db;
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs fn on a fresh database and drops it afterwards, whatever happened. */
export async function withFreshDatabase<T>(fn: (database: BenchDatabase) => Promise<T>): Promise<T> {
  const database = await createBenchDatabase();
  try {
    return await fn(database);
  } finally {
    await database.drop();
  }
}
