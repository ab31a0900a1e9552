import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Db } from '../../src/db/index.js';
import { withFreshDatabase } from '../benchDatabase.js';
import type { BenchOptions } from '../options.js';
import type { SectionResult } from '../report.js';

const PGBENCH = '/usr/bin/pgbench';
/**
 * pgbench's accounts at scale 1: the same table and the same rows for both drivers. Not a Settle table: it lives in
 * public, where pgbench (on the server's default search path) finds it, and Settle's connections name it so.
 */
const ACCOUNTS = 100_000;
const UPDATE = 'UPDATE public.bench_accounts SET abalance = abalance + $1 WHERE aid = $2';
const PGBENCH_SCRIPT = `\\set aid random(1, ${ACCOUNTS})
\\set delta random(-5000, 5000)
BEGIN;
UPDATE public.bench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
END;
`;

/**
 * The database's own limit for one-transaction settlements, in the same run on the same server: a single-row
 * update transaction (BEGIN; UPDATE one random account; COMMIT) at the bench's concurrency, driven from Node
 * through the same driver Settle uses, and by pgbench when the database is a PostgreSQL server.
 */
export function benchCeiling(options: BenchOptions): Promise<SectionResult> {
  return withFreshDatabase(async (database) => {
    const db = await database.open(options.concurrency);
    const nodeTps = await createAccounts(db)
      .then(() => nodeUpdates(db, options.concurrency, options.ceilingSeconds))
      .finally(() => db.close()); // before pgbench: both at once could pass the server's max_connections
    const pgbenchTps = database.url && existsSync(PGBENCH) ? await pgbench(database.url, options.concurrency, options.ceilingSeconds) : undefined;
    return {
      name: 'ceiling',
      what: `single-row update transactions on ${ACCOUNTS} accounts, ${options.concurrency} clients, ${options.ceilingSeconds} s each: from Node (${database.kind === 'postgres' ? 'node-postgres' : 'PGlite'})${pgbenchTps ? ' and pgbench' : ''}`,
      figures: { 'node TPS': nodeTps, ...(pgbenchTps && { 'pgbench TPS': pgbenchTps }) },
      targets: [],
    };
  });
}

async function createAccounts(db: Db): Promise<void> {
  await db.exec(`CREATE TABLE public.bench_accounts (aid integer PRIMARY KEY, bid integer, abalance integer NOT NULL, filler char(84));
    INSERT INTO public.bench_accounts (aid, bid, abalance) SELECT i, 1, 0 FROM generate_series(1, ${ACCOUNTS}) AS i;`);
  await db.query('VACUUM ANALYZE public.bench_accounts'); // alone: VACUUM cannot run inside a multi-statement script's transaction
}

/** Transactions per second over the window, each client running one transaction after another. */
async function nodeUpdates(db: Db, clients: number, seconds: number): Promise<number> {
  const started = performance.now();
  const until = started + seconds * 1000;
  let done = 0;
  const client = async () => {
    while (performance.now() < until) {
      const aid = 1 + Math.floor(Math.random() * ACCOUNTS);
      const delta = Math.floor(Math.random() * 10_001) - 5000;
      await db.transaction((tx) => tx.query(UPDATE, [delta, aid]));
      done++;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return done / ((performance.now() - started) / 1000);
}

async function pgbench(url: string, clients: number, seconds: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'settle-pgbench-'));
  try {
    const script = join(dir, 'update.sql');
    writeFileSync(script, PGBENCH_SCRIPT);
    const { stdout } = await promisify(execFile)(PGBENCH, ['-n', '-c', String(clients), '-j', String(Math.min(2, clients)), '-T', String(seconds), '-f', script, url]);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    if (!tps) throw new Error(`pgbench printed no TPS:\n${stdout}`);
    return Number(tps);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
