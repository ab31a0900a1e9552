import pg from 'pg';
import type { Statement } from './prepared.js';
import type { Db, Queryable, QueryResult } from './types.js';

const INT8 = 20;
const NUMERIC_COUNT = 1700;

function parseInteger(value: string): number {
  return Number(value);
}

/** A prepared statement goes by its name, so the server plans it once per connection. */
function toQuery(statement: Statement, values: unknown[] | undefined): pg.QueryConfig {
  return typeof statement === 'string' ? { text: statement, values } : { name: statement.name, text: statement.text, values };
}

function toResult<T>(res: pg.QueryResult): QueryResult<T> {
  return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
}

/** A node-postgres pool. Credits are bigint columns but always fit a JS number, so int8 parses to number. */
export function openPostgres(connectionString: string, options: { max?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 || oid === NUMERIC_COUNT ? parseInteger : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection (a database restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return {
    kind: 'pg',
    async query<T>(statement: Statement, params?: unknown[]) {
      return toResult<T>(await pool.query(toQuery(statement, params)));
    },
    async exec(script: string) {
      await pool.query(script);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      const client = await pool.connect();
      // The pool stops listening to a client it has lent out. A connection lost mid-transaction (a database restart)
      // emits 'error' on the client, which would crash the process with no listener; the failing query rejects on
      // its own, and the broken client is discarded instead of going back to the pool.
      let lost: Error | undefined;
      const onLost = (err: Error) => (lost = err);
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <R>(statement: Statement, params?: unknown[]) => toResult<R>(await client.query(toQuery(statement, params))),
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
    },
    close: () => pool.end(),
  };
}
