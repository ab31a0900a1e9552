import { withFreshDatabase, type BenchDatabase } from '../benchDatabase.js';
import { runLoad } from '../load.js';
import type { BenchOptions } from '../options.js';
import { withSimulator } from '../processes.js';
import type { SectionResult } from '../report.js';
import { startServeProcess } from '../settleSystem.js';
import { seedUsers } from '../users.js';

const TARGET_PER_SECOND = 1500;
const TARGET_P99_MS = 50;
const BODY = JSON.stringify({ type: 'image', model: 'google/nano-banana', input: { prompt: 'a benchmark' } });

/**
 * POST /api/v1/tasks at the given concurrency against `settle serve`, each connection its own user, the simulator
 * accepting at once (its tasks then run far longer than the bench, so no check or callback competes).
 */
export function benchSubmit(options: BenchOptions): Promise<SectionResult> {
  return withFreshDatabase((database) =>
    withSimulator(['--seed', '3', '--duration-ms', '3600000'], async (sim) => {
      const keys = await userKeys(database, options.concurrency);
      const serve = await startServeProcess(database, sim.url, { WORKER_POLL_MIN_MS: '3600000', WORKER_POLL_MAX_MS: '3600000' });
      const load = await runLoad({
        url: serve.url,
        connections: options.concurrency,
        amount: options.submitRequests,
        method: 'POST',
        body: BODY,
        requestsOf: (i) => [{ path: '/api/v1/tasks', method: 'POST', body: BODY, headers: authorized(keys[i % keys.length]!) }],
      }).finally(() => serve.stop());
      await expectTasks(database, load.ok);
      return {
        name: 'submit',
        what: `POST /api/v1/tasks, ${options.submitRequests} tasks at concurrency ${options.concurrency} (${keys.length} users), settle serve`,
        figures: { 'tasks/s': load.perSecond, 'p50 ms': load.p50, 'p99 ms': load.p99 },
        targets: [
          { label: `≥ ${TARGET_PER_SECOND} tasks/s`, pass: load.perSecond >= TARGET_PER_SECOND },
          { label: `p99 ≤ ${TARGET_P99_MS} ms`, pass: load.p99 <= TARGET_P99_MS },
        ],
      };
    }),
  );
}

export function authorized(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
}

async function userKeys(database: BenchDatabase, count: number): Promise<string[]> {
  const db = await database.open();
  try {
    return (await seedUsers(db, count, 'submit')).map((u) => u.apiKey);
  } finally {
    await db.close();
  }
}

/** Every 202 (warm-up included) is a task the provider accepted, holding its credits. */
async function expectTasks(database: BenchDatabase, measured: number): Promise<void> {
  const db = await database.open();
  try {
    const { rows } = await db.query<{ tasks: number; holds: number }>(
      `SELECT (SELECT count(*)::int FROM tasks WHERE status = 'processing') AS tasks,
              (SELECT count(*)::int FROM credit_holds WHERE status = 'open') AS holds`,
    );
    const { tasks, holds } = rows[0]!;
    if (tasks < measured || holds !== tasks) throw new Error(`after ${measured} answers 202: ${tasks} processing tasks, ${holds} open holds`);
  } finally {
    await db.close();
  }
}
