import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DatabaseError } from './errors.js';
import type { Db, Queryable } from './types.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant shared by every instance: it serialises concurrent `migrate` runs.
const MIGRATION_LOCK = 7_412_001;
/** Moves an install made before DATABASE_SCHEMA out of public; it must run before the migrations that follow it. */
const MOVE_TO_SCHEMA = '0009_own_schema.sql';
const CREATE_HISTORY = `CREATE TABLE IF NOT EXISTS settle_migrations (
  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_.+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 4)), name: file, sql: readFileSync(dir + file, 'utf8') }));
}

/** Applies every migration not yet recorded, each in its own transaction. Safe to run again and concurrently. */
export async function migrate(db: Db): Promise<string[]> {
  const migrations = listMigrations();
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    if (db.schema !== undefined && (await enterSchema(tx, db.schema, migrations))) applied.push(MOVE_TO_SCHEMA);
    await tx.query(CREATE_HISTORY);
  });
  for (const migration of migrations) {
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const done = await tx.query('SELECT 1 FROM settle_migrations WHERE version = $1', [migration.version]);
      if (done.rowCount > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO settle_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (ran) applied.push(migration.name);
  }
  return applied;
}

/** The migrations this database has not recorded yet; all of them on a database Settle has never migrated. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const names = listMigrations().map((m) => m.name);
  const exists = await db.query<{ found: boolean }>(`SELECT to_regclass('settle_migrations') IS NOT NULL AS found`);
  if (!exists.rows[0]?.found) return names;
  const { rows } = await db.query<{ name: string }>('SELECT name FROM settle_migrations');
  const done = new Set(rows.map((r) => r.name));
  return names.filter((name) => !done.has(name));
}

/**
 * Makes the schema (unless it exists: a role without CREATE on the database can use one made for it), checks that
 * the connection's search path really lands in it, and moves an earlier install out of public. True when it moved one.
 */
async function enterSchema(tx: Queryable, schema: string, migrations: Migration[]): Promise<boolean> {
  const exists = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (exists.rowCount === 0) await tx.query(`CREATE SCHEMA ${quoteName(schema)}`);
  const { rows } = await tx.query<{ current: string | null; earlier: boolean }>(
    `SELECT current_schema() AS current,
            to_regclass('public.settle_migrations') IS NOT NULL AND to_regclass(format('%I.settle_migrations', $1::text)) IS NULL AS earlier`,
    [schema],
  );
  const { current, earlier } = rows[0]!;
  if (current !== schema) {
    throw new DatabaseError(
      `statements land in schema "${current ?? 'none'}", not DATABASE_SCHEMA "${schema}": something between Settle and PostgreSQL drops the ` +
        `connection's options (a transaction pooler); set DATABASE_POOLER=transaction`,
    );
  }
  if (schema === 'public' || !earlier) return false;
  const move = migrations.find((m) => m.name === MOVE_TO_SCHEMA)!;
  await tx.exec(move.sql);
  await tx.query(CREATE_HISTORY);
  await tx.query('INSERT INTO settle_migrations (version, name) VALUES ($1, $2)', [move.version, move.name]);
  return true;
}

const quoteName = (name: string): string => `"${name.replace(/"/g, '""')}"`;
