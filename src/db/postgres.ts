import pg from 'pg';
import type { Statement } from './prepared.js';
import type { Db, Queryable, QueryResult } from './types.js';

const INT8 = 20;
const NUMERIC_COUNT = 1700;

function parseInteger(value: string): number {
  return Number(value);
}

export type Pooler = 'none' | 'transaction';

export interface PostgresOptions {
  max?: number;
  /** The schema Settle's tables live in (default `settle`): the only one on the search path. */
  schema?: string;
  /** `transaction`: a transaction-mode pooler sits in front of the server (so does `pgbouncer=true` in the URL). */
  pooler?: Pooler;
}

/**
 * How statements find the schema. A direct connection (or a session pooler) names it in the startup packet's
 * `options`, once per connection: no extra round trip. A transaction-mode pooler lends a server connection for one
 * transaction only; it rejects `options` (PgBouncer: "unsupported startup parameter") or drops it when told to
 * ignore it, and a session-level SET would stay on a server connection that the pooler then lends to other clients
 * (another app's `users` would become ours). There every statement runs in a transaction that begins with
 * SET LOCAL, which ends with it.
 */
interface Connection {
  config: pg.PoolConfig;
  pooled: boolean;
  begin: string;
}

function connectionFor(databaseUrl: string, options: PostgresOptions): Connection {
  const url = new URL(databaseUrl);
  const pooled = options.pooler === 'transaction' || url.searchParams.get('pgbouncer') === 'true';
  url.searchParams.delete('pgbouncer');
  // The URL's own options (a URL wins over the config object in node-postgres) come first, then the search path.
  const urlOptions = url.searchParams.get('options');
  url.searchParams.delete('options');
  const path = pg.escapeIdentifier(options.schema ?? 'settle');
  const startup = [urlOptions, pooled ? undefined : `-c search_path=${path}`].filter(Boolean).join(' ');
  return {
    config: { connectionString: url.toString(), ...(startup && { options: startup }) },
    pooled,
    begin: pooled ? `BEGIN; SET LOCAL search_path TO ${path}` : 'BEGIN',
  };
}

/** A named statement is planned once per server connection; through a transaction pooler it goes unnamed. */
function toQuery(statement: Statement, values: unknown[] | undefined, named: boolean): pg.QueryConfig {
  if (typeof statement === 'string') return { text: statement, values };
  return named ? { name: statement.name, text: statement.text, values } : { text: statement.text, values };
}

function toResult<T>(res: pg.QueryResult): QueryResult<T> {
  return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
}

/** A node-postgres pool. Credits are bigint columns but always fit a JS number, so int8 parses to number. */
export function openPostgres(databaseUrl: string, options: PostgresOptions = {}): Db {
  const { config, pooled, begin } = connectionFor(databaseUrl, options);
  const pool = new pg.Pool({
    ...config,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 || oid === NUMERIC_COUNT ? parseInteger : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection (a database restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});

  async function transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // The pool stops listening to a client it has lent out. A connection lost mid-transaction (a database restart)
    // emits 'error' on the client, which would crash the process with no listener; the failing query rejects on
    // its own, and the broken client is discarded instead of going back to the pool.
    let lost: Error | undefined;
    const onLost = (err: Error) => (lost = err);
    client.on('error', onLost);
    try {
      await client.query(begin);
      const result = await fn({
        query: async <R>(statement: Statement, params?: unknown[]) => toResult<R>(await client.query(toQuery(statement, params, !pooled))),
        exec: async (script: string) => void (await client.query(script)),
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.removeListener('error', onLost);
      client.release(lost);
    }
  }

  return {
    kind: 'pg',
    schema: options.schema ?? 'settle',
    query: pooled
      ? <T>(statement: Statement, params?: unknown[]) => transaction((tx) => tx.query<T>(statement, params))
      : async <T>(statement: Statement, params?: unknown[]) => toResult<T>(await pool.query(toQuery(statement, params, true))),
    exec: pooled ? (script: string) => transaction((tx) => tx.exec(script)) : async (script: string) => void (await pool.query(script)),
    transaction,
    close: () => pool.end(),
  };
}
