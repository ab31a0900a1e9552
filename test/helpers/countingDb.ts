import type { Db } from '../../src/db/index.js';

export interface CountingDb {
  db: Db;
  /** Transactions opened through it. */
  transactions(): number;
  /** Runs of the prepared statement with this name. */
  runs(name: string): number;
}

/**
 * Counts what goes through it. A Db object of its own, so code that keeps one of something per database (the group
 * commits) keeps a separate one for it.
 */
export function countingDb(db: Db): CountingDb {
  let transactions = 0;
  const runs = new Map<string, number>();
  const counted: Db = {
    kind: db.kind,
    query: (statement, params) => {
      if (typeof statement !== 'string') runs.set(statement.name, (runs.get(statement.name) ?? 0) + 1);
      return db.query(statement, params);
    },
    exec: (script) => db.exec(script),
    transaction: (fn) => {
      transactions++;
      return db.transaction(fn);
    },
    close: () => db.close(),
  };
  return { db: counted, transactions: () => transactions, runs: (name) => runs.get(name) ?? 0 };
}
