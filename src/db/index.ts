import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Db } from './types.js';

export type { Db, Queryable, QueryResult } from './types.js';
export { migrate, listMigrations } from './migrate.js';
export { prepared, statementText, type PreparedStatement, type Statement } from './prepared.js';
export { openPglite } from './pglite.js';
export { openPostgres } from './postgres.js';
export { afterMs, agoMs } from './sqlTime.js';
export {
  afterPageKey,
  beforeMicrosKey,
  cursorOf,
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
}

/** node-postgres when a URL is configured, otherwise the embedded database under dataDir. */
export function openDatabase(options: DatabaseOptions): Promise<Db> {
  if (options.databaseUrl) return Promise.resolve(openPostgres(options.databaseUrl, { max: options.poolSize }));
  return openPglite(`${options.dataDir}/pgdata`);
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
