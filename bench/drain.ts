/**
 * Backlog drain: N tasks stuck in processing (their provider finished long ago, the callbacks were lost, nobody
 * polled) are drained by repeated reconciler runs, as `settle reconcile` or the cron route would run them.
 *
 *   npm run bench:drain                                                        # embedded PGlite, in memory
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:drain   # a fresh database on that server
 *
 * Knobs: BENCH_TASKS (10000), BATCH_SIZE (500), RECONCILE_CONCURRENCY (32). Prints the time and tasks/s, checks
 * the ledger audit, and writes bench/results/drain-<database>.json and .md (bench/report.ts). The provider
 * simulator runs in its own process (`settle sim`), as a real provider would, so its work is not counted as ours.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres, type Db } from '../src/db/index.js';
import { audit } from '../src/ledger/index.js';
import { createLogger } from '../src/log/index.js';
import { recoverySettings, runRecoveryJob } from '../src/recovery/index.js';
import { createSystem } from '../src/system.js';
import { submitTask } from '../src/tasks/index.js';
import { createUser } from '../src/users/index.js';
import { report } from './report.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 10_000);
const BATCH = Number(process.env.BATCH_SIZE ?? 500);
const CONCURRENCY = Number(process.env.RECONCILE_CONCURRENCY ?? 32);
const PRICE = 30;
/** The aim: the whole 10,000-task backlog in seconds (the seed design managed 50 per 10 minutes). */
const BUDGET_SECONDS = 120;
/** Spread over many users, as a real backlog is: one user's balance row would serialise every settlement. */
const USERS = 100;

async function openBenchDatabase(): Promise<{ db: Db; kind: string; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const db = await openPglite();
    return { db, kind: 'PGlite (in memory)', drop: () => db.close() };
  }
  const name = `settle_bench_${Date.now()}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString(), { max: CONCURRENCY + 4 });
  return {
    db,
    kind: 'PostgreSQL',
    async drop() {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function main(): Promise<void> {
  const database = await openBenchDatabase();
  const sim = await startSimulatorProcess();
  const storageDir = mkdtempSync(join(tmpdir(), 'settle-bench-'));
  const config = loadConfig({
    KIE_BASE_URL: sim.url,
    KIE_API_KEY: 'bench',
    STORAGE_DIR: storageDir,
    BATCH_SIZE: String(BATCH),
    RECONCILE_CONCURRENCY: String(CONCURRENCY),
  });
  const system = await createSystem(config, { db: database.db, logger: createLogger('warn', process.stderr) });
  system.tasks.callbackBaseUrl = undefined; // no webhook receiver: only the reconciler settles these tasks
  try {
    const userIds: string[] = [];
    for (let u = 0; u < USERS; u++) {
      userIds.push((await createUser(system.db, { email: `bench${u}@example.com`, credits: Math.ceil(TASKS / USERS) * PRICE })).userId);
    }
    process.stderr.write(`seeding ${TASKS} tasks of ${USERS} users on ${database.kind}...\n`);
    const limit = pLimit(16);
    await Promise.all(
      Array.from({ length: TASKS }, (_, i) =>
        limit(() =>
          submitTask(system.tasks, { userId: userIds[i % USERS]!, type: 'video', model: 'sora-2-text-to-video', input: { prompt: `backlog ${i}` } }),
        ),
      ),
    );
    await system.db.query(`UPDATE tasks SET processing_started_at = now() - interval '20 minutes', next_check_at = now() + interval '1 day'`);

    const settings = { ...recoverySettings(config), rateLimit: null };
    process.stderr.write(`draining with BATCH_SIZE=${BATCH}, RECONCILE_CONCURRENCY=${CONCURRENCY}...\n`);
    const started = performance.now();
    let runs = 0;
    let completed = 0;
    for (;;) {
      const run = await runRecoveryJob(system.tasks, settings, 'process-stuck-tasks', 'cli');
      if (run.status !== 'completed') throw new Error(`run failed: ${run.error}`);
      runs++;
      completed += run.results!.completed;
      if (run.results!.totalFound === 0) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const audited = await audit(system.db);
    const left = (await system.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM tasks WHERE status <> 'completed'`)).rows[0]!.n;
    const rate = Math.round(completed / seconds);
    process.stderr.write(`drained ${completed} of ${TASKS} stuck tasks in ${seconds.toFixed(1)} s (${rate} tasks/s), ${runs} runs\n`);
    report({
      name: `drain-${system.db.kind}`,
      command: `BENCH_TASKS=${TASKS} BATCH_SIZE=${BATCH} RECONCILE_CONCURRENCY=${CONCURRENCY} npm run bench:drain (${database.kind})`,
      budget: `${TASKS} stuck tasks drained, audit clean, within ${BUDGET_SECONDS} s`,
      withinBudget: audited.ok && left === 0 && completed === TASKS && seconds <= BUDGET_SECONDS,
      figures: {
        tasks: TASKS,
        completed,
        'left unsettled': left,
        'reconcile runs': runs,
        'batch size': BATCH,
        concurrency: CONCURRENCY,
        seconds: Number(seconds.toFixed(2)),
        'tasks/s': rate,
        audit: audited.ok ? 'clean' : 'VIOLATIONS',
      },
    });
  } finally {
    sim.child.kill('SIGTERM');
    await database.drop();
    rmSync(storageDir, { recursive: true, force: true });
  }
}

/** `settle sim` in a child process (from the sources, through tsx), answering once it serves. */
async function startSimulatorProcess(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const cli = new URL('../src/cli/main.ts', import.meta.url).pathname;
  const args = ['sim', '--port', String(port), '--seed', '1', '--duration-ms', '0', '--no-rate-limit', '--result-bytes', '1024'];
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const up = await fetch(`${url}/sim/stats`).then((r) => r.ok, () => false);
    if (up) return { url, child };
    if (tries > 100 || child.exitCode !== null) throw new Error('the simulator did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

await main();
