import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite, types, type Results } from '@electric-sql/pglite';
import { lockEmbeddedDatabase } from './embeddedLock.js';
import { statementText, type Statement } from './prepared.js';
import type { Db, Queryable, QueryResult } from './types.js';

// Credits are bigint and sums are numeric; both always fit a JS number here.
const parsers = { [types.INT8]: Number, [types.NUMERIC]: Number };

function toResult<T>(res: Results<T>): QueryResult<T> {
  return { rows: res.rows, rowCount: res.affectedRows || res.rows.length };
}

/**
 * Embedded PostgreSQL: a directory on disk, held by this process alone (a second process refuses, see
 * embeddedLock.ts), or memory when dataDir is undefined. Its tables stay in `public`: nothing else shares it.
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  let unlock = () => {};
  if (dataDir) {
    mkdirSync(dirname(dataDir), { recursive: true });
    unlock = lockEmbeddedDatabase(dataDir);
    mkdirSync(dataDir, { recursive: true });
  }
  const pg = await PGlite.create(dataDir, { parsers }).catch((err: unknown) => {
    unlock();
    throw err;
  });
  return {
    kind: 'pglite',
    async query<T>(statement: Statement, params?: unknown[]) {
      return toResult(await pg.query<T>(statementText(statement), params));
    },
    async exec(script: string) {
      await pg.exec(script);
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return pg.transaction((tx) =>
        fn({
          query: async <R>(statement: Statement, params?: unknown[]) => toResult(await tx.query<R>(statementText(statement), params)),
          exec: async (script: string) => void (await tx.exec(script)),
        }),
      );
    },
    async close() {
      try {
        await pg.close();
      } finally {
        unlock();
      }
    },
  };
}
