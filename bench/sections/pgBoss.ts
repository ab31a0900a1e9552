import pLimit from 'p-limit';
import PgBoss from 'pg-boss';
import { targetServerUrl, withFreshDatabase } from '../benchDatabase.js';
import type { BenchOptions } from '../options.js';
import type { SectionResult } from '../report.js';

const QUEUE = 'bench';
/** Jobs claimed per fetch, like the reconciler's batch claim. */
const FETCH_BATCH = 50;
/** Completions in flight, like the settle drainer's concurrency. */
const COMPLETERS = 32;
/** Fetch loops running at once, so that one batch's slowest completion does not idle the rest. */
const FETCHERS = 4;

/**
 * The peer a team would otherwise build on: pg-boss 10 on the same server, sending N jobs one by one at the
 * bench's concurrency, then fetching them in batches and completing each job on its own (one completion per job,
 * as one settlement per task). pg-boss needs a PostgreSQL server.
 */
export function benchPgBoss(options: BenchOptions): Promise<SectionResult> {
  if (!targetServerUrl()) {
    return Promise.resolve({ name: 'pg-boss', what: '', figures: {}, targets: [], skipped: 'pg-boss needs a PostgreSQL server; not measured on PGlite' });
  }
  return withFreshDatabase(async (database) => {
    const boss = new PgBoss({ connectionString: database.url!, max: 40, supervise: false, schedule: false });
    let stopped = false;
    // Dropping the database afterwards ends pg-boss's last connections; only errors before that are news.
    boss.on('error', (err) => stopped || process.stderr.write(`pg-boss: ${String(err)}\n`));
    await boss.start();
    try {
      await boss.createQueue(QUEUE);
      const sendSeconds = await timed(() => sendAll(boss, options.pgbossJobs, options.concurrency));
      const workSeconds = await timed(() => fetchAndComplete(boss));
      const completed = await boss.getQueueSize(QUEUE, { before: 'completed' });
      if (completed !== 0) throw new Error(`${completed} pg-boss jobs were left unfinished`);
      return {
        name: 'pg-boss',
        what: `pg-boss 10: ${options.pgbossJobs} jobs sent one by one at concurrency ${options.concurrency}, fetched ${FETCH_BATCH} at a time by ${FETCHERS} loops, each completed on its own (${COMPLETERS} in flight)`,
        figures: { 'send jobs/s': options.pgbossJobs / sendSeconds, 'fetch+complete jobs/s': options.pgbossJobs / workSeconds, 'total s': sendSeconds + workSeconds },
        targets: [],
      };
    } finally {
      stopped = true;
      await boss.stop({ graceful: false, wait: true });
    }
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

async function sendAll(boss: PgBoss, count: number, concurrency: number): Promise<void> {
  const limit = pLimit(concurrency);
  await Promise.all(Array.from({ length: count }, (_, i) => limit(async () => {
    if (!(await boss.send(QUEUE, { i }))) throw new Error(`pg-boss refused job ${i}`);
  })));
}

async function fetchAndComplete(boss: PgBoss): Promise<void> {
  const limit = pLimit(COMPLETERS);
  const loop = async () => {
    for (;;) {
      const jobs = await boss.fetch<{ i: number }>(QUEUE, { batchSize: FETCH_BATCH });
      if (jobs.length === 0) return;
      await Promise.all(jobs.map((job) => limit(() => boss.complete(QUEUE, job.id))));
    }
  };
  await Promise.all(Array.from({ length: FETCHERS }, loop));
}
