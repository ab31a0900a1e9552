import { mkdirSync, mkdtempSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Db } from '../../src/db/index.js';
import { authorized, IMAGE_MODEL } from '../api.js';
import { withFreshDatabase, type BenchDatabase } from '../benchDatabase.js';
import { HISTORY_TASK } from '../history.js';
import { allAnswered, runLoad, type LoadResult } from '../load.js';
import type { BenchOptions } from '../options.js';
import { runSettleCommand, withSimulator, type RunningProcess } from '../processes.js';
import type { SectionResult, Target } from '../report.js';
import { startServeProcess } from '../settleSystem.js';

/** Issue 17: a running submit load's p99 grows by less than this while `settle prune` runs. */
const GROWTH_TARGET = 2;
/** The history spans 180 days: this prunes its older half. */
const OLDER_THAN_DAYS = 90;
/** Rounds of the submit load before the prune starts, for the p99 it is compared with. */
const BASELINE_ROUNDS = 3;
/** Stored files written for the oldest history tasks, so the prune removes real files too. */
const FILES = 10_000;
const BODY = JSON.stringify({ type: 'image', model: IMAGE_MODEL, input: { prompt: 'a benchmark under prune' } });

/**
 * `settle prune --older-than 90d` (its own process, as an operator runs it) on the --history database while
 * POST /api/v1/tasks runs against `settle serve` at the submit section's concurrency, round after round until the
 * prune ends. Compares the worst round's p99 during the prune with the worst of the rounds before it; then checks
 * that the pruned tasks lost their inputs and files and kept their money fields and journal, and runs `settle audit`.
 */
export function benchPrune(options: BenchOptions): Promise<SectionResult> {
  if (options.history === 0) return Promise.resolve(skipped('needs --history: there is nothing old to prune'));
  return withFreshDatabase(async (database) => {
    if (database.kind !== 'postgres') return skipped('needs a PostgreSQL server: the prune and `settle serve` share the database');
    return withSimulator(['--seed', '7', '--duration-ms', '3600000'], (sim) => measure(options, database, sim.url));
  });
}

async function measure(options: BenchOptions, database: BenchDatabase, simUrl: string): Promise<SectionResult> {
  const db = await database.open(2);
  const storageDir = mkdtempSync(join(tmpdir(), 'settle-bench-prune-'));
  const serve = await startServeProcess(database, simUrl, { WORKER_POLL_MIN_MS: '3600000', WORKER_POLL_MAX_MS: '3600000' });
  try {
    const before = await moneyOfHistory(db);
    const files = await storeOldestFiles(db, storageDir);
    const rounds = Math.max(200, Math.round(options.submitRequests / 5));
    const keys = database.users.slice(0, options.concurrency).map((u) => u.apiKey);
    const baseline: LoadResult[] = [];
    for (let i = 0; i < BASELINE_ROUNDS; i++) baseline.push(await submitRound(serve, keys, options.concurrency, rounds));

    const started = performance.now();
    let ended = false;
    const prune = runSettleCommand(['prune', '--older-than', `${OLDER_THAN_DAYS}d`, '--json'], { ...database.env, STORAGE_DIR: storageDir }).finally(() => (ended = true));
    const during: LoadResult[] = [];
    while (!ended) during.push(await submitRound(serve, keys, options.concurrency, rounds));
    const run = await prune;
    const pruneSeconds = (performance.now() - started) / 1000;
    if (run.code !== 0) throw new Error(`settle prune exited ${run.code}: ${run.stdout}`);
    const pruned = (JSON.parse(run.stdout) as { results: { tasks: number; files: number } }).results;

    const after = await moneyOfHistory(db);
    const audit = await runSettleCommand(['audit'], { ...database.env, STORAGE_DIR: storageDir });
    const worst = (loads: LoadResult[]) => Math.max(...loads.map((l) => l.p99));
    const growth = worst(during) / worst(baseline);
    return {
      name: 'prune',
      what: `settle prune --older-than ${OLDER_THAN_DAYS}d on ${options.history} finished tasks (${files.length} of the old ones with a stored file) while POST /api/v1/tasks runs in rounds of ${rounds} at concurrency ${options.concurrency}`,
      figures: {
        'submit p99 before ms': worst(baseline),
        'submit p99 during ms': worst(during),
        'p99 growth x': growth,
        'rounds during prune': during.length,
        'tasks pruned': pruned.tasks,
        'prune s': pruneSeconds,
      },
      targets: [
        { label: `p99 grows < ${GROWTH_TARGET}x`, pass: growth < GROWTH_TARGET },
        allAnswered(merged([...baseline, ...during])),
        pruneOutcome(before, after, pruned.tasks, files, storageDir),
        { label: 'settle audit passes', pass: audit.code === 0, ...(audit.code !== 0 && { detail: audit.stdout.slice(0, 500) }) },
      ],
    };
  } finally {
    await serve.stop();
    await db.close();
    rmSync(storageDir, { recursive: true, force: true });
  }
}

function submitRound(serve: RunningProcess, keys: string[], connections: number, amount: number): Promise<LoadResult> {
  return runLoad({
    url: serve.url,
    connections,
    amount,
    method: 'POST',
    body: BODY,
    requestsOf: (i) => [{ path: '/api/v1/tasks', method: 'POST', body: BODY, headers: authorized(keys[i % keys.length]!) }],
  });
}

interface HistoryMoney {
  /** A digest of every history task's money and settlement fields, and of its journal. */
  digest: string;
  pruned: number;
  /** Pruned tasks that still hold an input or a file link. */
  leftovers: number;
}

async function moneyOfHistory(db: Db): Promise<HistoryMoney> {
  const { rows } = await db.query<HistoryMoney>(
    `SELECT (SELECT md5(string_agg(concat_ws(',', id, status, price, attempts, settled_by, completed_at), ';' ORDER BY id)) FROM tasks WHERE ${HISTORY_TASK})
            || (SELECT md5(string_agg(concat_ws(',', j.user_id, j.type, j.amount, j.reference_id), ';' ORDER BY j.reference_id, j.type))
                  FROM (SELECT j.* FROM credit_transactions j JOIN tasks t ON j.reference_id = t.id::text WHERE t.${HISTORY_TASK}
                        UNION ALL SELECT * FROM credit_transactions WHERE reference_id LIKE 'history-grant-%') j) AS digest,
            count(*) FILTER (WHERE pruned_at IS NOT NULL)::int AS pruned,
            count(*) FILTER (WHERE pruned_at IS NOT NULL AND (input <> '{}'::jsonb OR cardinality(asset_keys) > 0))::int AS leftovers
       FROM tasks WHERE ${HISTORY_TASK}`,
  );
  return rows[0]!;
}

/** Writes a small file for each of the oldest history tasks' keys, as their results would have been stored. */
async function storeOldestFiles(db: Db, storageDir: string): Promise<string[]> {
  const { rows } = await db.query<{ key: string }>(
    `SELECT asset_keys[1] AS key FROM tasks
      WHERE ${HISTORY_TASK} AND completed_at < now() - make_interval(days => $2) ORDER BY completed_at LIMIT $1`,
    [FILES, OLDER_THAN_DAYS],
  );
  for (const { key } of rows) {
    const path = join(storageDir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'a stored result');
  }
  return rows.map((r) => r.key);
}

function pruneOutcome(before: HistoryMoney, after: HistoryMoney, prunedTasks: number, files: string[], storageDir: string): Target {
  const filesLeft = files.filter((key) => existsSync(join(storageDir, key))).length;
  const problems = [
    after.digest !== before.digest && 'the money fields or the journal changed',
    after.pruned - before.pruned !== prunedTasks && `${prunedTasks} pruned by the run, ${after.pruned - before.pruned} marked`,
    after.leftovers > 0 && `${after.leftovers} pruned tasks still hold an input or a file`,
    filesLeft > 0 && `${filesLeft} of ${files.length} old files are still stored`,
  ].filter((p): p is string => typeof p === 'string');
  return { label: 'inputs and files gone, money and journal kept', pass: problems.length === 0, ...(problems.length > 0 && { detail: problems.join('; ') }) };
}

function merged(loads: LoadResult[]): LoadResult {
  return loads.reduce((a, b) => ({ ...a, ok: a.ok + b.ok, failed: a.failed + b.failed, cutOff: a.cutOff + b.cutOff }));
}

function skipped(why: string): SectionResult {
  return { name: 'prune', what: '', figures: {}, targets: [], skipped: why };
}
