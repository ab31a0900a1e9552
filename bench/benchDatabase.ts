import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openPglite, openPostgres, type Db } from '../src/db/index.js';
import type { CreatedUser } from '../src/users/index.js';
import { adminQuery, withDatabase } from '../test/helpers/db.js';
import { fillHistory } from './history.js';
import { seedUsers } from './users.js';

/** Users in every fresh database, with plenty of credits: one per connection of the loads, 100 for the backlog. */
const TEMPLATE_USERS = 100;

/** A fresh database for one section, on the server the run targets or embedded; dropped afterwards. */
export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** postgres:// URL of this database (pgbench, pg-boss); undefined on PGlite. */
  url?: string;
  /** What a `settle` process needs to use this database: DATABASE_URL, or SETTLE_DATA_DIR of the embedded one. */
  env: Record<string, string>;
  /** The users every bench database starts with, and their API keys. */
  users: CreatedUser[];
  /** A connection. PGlite's data directory may be open in one process at a time: close it first. */
  open(poolSize?: number): Promise<Db>;
  drop(): Promise<void>;
}

/** A migrated database holding the bench users, copied for each section as CREATE DATABASE copies template1. */
interface Template {
  /** The template's database name on the server, or its PGlite data directory. */
  source: string;
  users: CreatedUser[];
  drop(): Promise<void>;
}

let template: Promise<Template> | undefined;
let historyTasks = 0;

/** Finished tasks the template holds (--history), so every section's fresh copy starts with them. */
export function setTemplateHistory(tasks: number): void {
  historyTasks = tasks;
}

/** DATABASE_URL, then TEST_DATABASE_URL; neither set means the embedded database. */
export function targetServerUrl(): string | undefined {
  return process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
}

/** True when the PostgreSQL server is on this machine, so its processes' CPU can be read. */
export function databaseServerIsLocal(): boolean {
  const url = targetServerUrl();
  if (!url) return false;
  return ['', '127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const serverUrl = targetServerUrl();
  template ??= serverUrl ? serverTemplate(serverUrl) : embeddedTemplate();
  const { source, users } = await template;
  return serverUrl ? copyOnServer(serverUrl, source, users) : copyEmbedded(source, users);
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

/** Drops the template, once the run is over. */
export async function dropTemplate(): Promise<void> {
  const made = template;
  template = undefined;
  await (await made?.catch(() => undefined))?.drop();
}

async function serverTemplate(serverUrl: string): Promise<Template> {
  const name = `settle_bench_template_${randomBytes(5).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const db = openPostgres(withDatabase(serverUrl, name), { max: 8 });
  const users = await seeded(db).finally(() => db.close()); // a template must have no connections when copied
  return { source: name, users, drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function copyOnServer(serverUrl: string, templateName: string, users: CreatedUser[]): Promise<BenchDatabase> {
  const name = `settle_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${templateName}`);
  const url = withDatabase(serverUrl, name);
  return {
    kind: 'postgres',
    url,
    env: { DATABASE_URL: url },
    users,
    open: async (poolSize = 10) => openPostgres(url, { max: poolSize }),
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** A PGlite initdb takes seconds; a copy of its closed data directory a few milliseconds. */
async function embeddedTemplate(): Promise<Template> {
  const dir = mkdtempSync(join(tmpdir(), 'settle-bench-template-'));
  const db = await openPglite(join(dir, 'pgdata'));
  const users = await seeded(db).finally(() => db.close());
  return { source: dir, users, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** On disk, where `settle serve` keeps it (SETTLE_DATA_DIR/pgdata), so a child process can serve the same data. */
function copyEmbedded(templateDir: string, users: CreatedUser[]): BenchDatabase {
  const dataDir = mkdtempSync(join(tmpdir(), 'settle-bench-db-'));
  cpSync(templateDir, dataDir, { recursive: true });
  return {
    kind: 'pglite',
    env: { SETTLE_DATA_DIR: dataDir },
    users,
    open: () => openPglite(join(dataDir, 'pgdata')),
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function seeded(db: Db): Promise<CreatedUser[]> {
  await migrate(db);
  const users = await seedUsers(db, TEMPLATE_USERS);
  if (historyTasks > 0) {
    const started = performance.now();
    await fillHistory(db, users.map((u) => u.userId), historyTasks, (done) => process.stderr.write(`[bench] history: ${done} of ${historyTasks} tasks\n`));
    process.stderr.write(`[bench] history of ${historyTasks} tasks filled in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return users;
}
