import pLimit from 'p-limit';
import { authorized, submitImage } from '../api.js';
import { withFreshDatabase } from '../benchDatabase.js';
import { allAnswered, runLoad } from '../load.js';
import type { BenchOptions } from '../options.js';
import { withSimulator } from '../processes.js';
import type { SectionResult } from '../report.js';
import { startServeProcess } from '../settleSystem.js';

const SETTLE_LIMIT_MS = 60_000;

/** GET /api/v1/tasks/:id on completed tasks against `settle serve`, at the given concurrency. The issue sets no speed target. */
export function benchPolls(options: BenchOptions): Promise<SectionResult> {
  return withFreshDatabase((database) =>
    withSimulator(['--seed', '5', '--duration-ms', '0', '--result-bytes', '1024'], async (sim) => {
      const { apiKey } = database.users[0]!;
      const serve = await startServeProcess(database, sim.url, {}, options.cpuProfDir);
      try {
        const paths = await completedTasks(serve.url, apiKey, options.pollTasks);
        const load = await runLoad({
          url: serve.url,
          connections: options.concurrency,
          amount: options.pollRequests,
          // Each connection starts at another task and walks through all of them.
          requestsOf: (i) => paths.map((_, k) => ({ path: paths[(i + k) % paths.length]!, headers: authorized(apiKey) })),
        });
        return {
          name: 'polls',
          what: `GET /api/v1/tasks/:id, ${options.pollRequests} polls of ${options.pollTasks} completed tasks at concurrency ${options.concurrency}, settle serve`,
          figures: { 'requests/s': load.perSecond, 'p50 ms': load.p50, 'p99 ms': load.p99 },
          targets: [allAnswered(load)],
        };
      } finally {
        await serve.stop();
      }
    }),
  );
}

/** Submits the tasks (walked through in turn, so that the load is not one hot row) and polls each until it is completed (the simulator finishes them at once). */
async function completedTasks(url: string, apiKey: string, count: number): Promise<string[]> {
  const limit = pLimit(16);
  return Promise.all(Array.from({ length: count }, (_, i) => limit(async () => {
    const path = `/api/v1/tasks/${await submitImage(url, apiKey, `poll ${i}`)}`;
    await untilCompleted(url + path, apiKey);
    return path;
  })));
}

async function untilCompleted(taskUrl: string, apiKey: string): Promise<void> {
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  for (;;) {
    const { status } = (await (await fetch(taskUrl, { headers: authorized(apiKey) })).json()) as { status: string };
    if (status === 'completed') return;
    if (status !== 'pending' && status !== 'processing') throw new Error(`task ${taskUrl} ended ${status}`);
    if (Date.now() > deadline) throw new Error(`task ${taskUrl} still ${status} after ${SETTLE_LIMIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
