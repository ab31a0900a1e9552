import { openPglite } from './pglite.js';
import { openPostgres, type Pooler } from './postgres.js';
import type { Db } from './types.js';
import { waitForDatabase } from './waitForDatabase.js';

export type { Db, Queryable, QueryResult } from './types.js';
export { migrate, listMigrations, pendingMigrations } from './migrate.js';
export { prepared, statementText, type PreparedStatement, type Statement } from './prepared.js';
export { openPglite } from './pglite.js';
export { openPostgres, type Pooler, type PostgresOptions } from './postgres.js';
export { DatabaseError } from './errors.js';
export { EmbeddedDatabaseInUseError } from './embeddedLock.js';
export { afterMs, agoMs } from './sqlTime.js';
export { filterOnly } from './filterOnly.js';
export { unnestParams } from './unnestParams.js';
export {
  afterPageKey,
  beforeMicrosKey,
  cursorOf,
  keysetPage,
  pageAt,
  pageKeyOf,
  pageMicros,
  readCursor,
  type NewestFirstKey,
  type PageKey,
  type Paged,
} from './keyset.js';

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** PostgreSQL: the schema Settle's tables live in (default `settle`). */
  schema?: string;
  pooler?: Pooler;
  /** PostgreSQL: how long to wait for a server that is down or starting (default: one try). */
  waitMs?: number;
  /** One line per failed try while waiting. */
  onWait?: (line: string) => void;
}

/**
 * node-postgres when a URL is configured, otherwise the embedded database under dataDir. Resolves once the database
 * answers; rejects with a DatabaseError (one line, no password) when it cannot be used.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Db> {
  if (!options.databaseUrl) return openPglite(`${options.dataDir}/pgdata`);
  const db = openPostgres(options.databaseUrl, { max: options.poolSize, schema: options.schema, pooler: options.pooler });
  try {
    await waitForDatabase(db, options.databaseUrl, { waitMs: options.waitMs ?? 0, onWait: options.onWait });
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** True when err is a PostgreSQL unique violation (SQLSTATE 23505), optionally on the named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** True when err is a PostgreSQL CHECK violation (SQLSTATE 23514), optionally of the named constraint. */
export function isCheckViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === '23514' && (constraint === undefined || e.constraint === constraint);
}
