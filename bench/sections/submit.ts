import { BUILT_IN_MODELS, priceOf } from '../../src/providers/index.js';
import { authorized, IMAGE_MODEL } from '../api.js';
import { databaseServerIsLocal, withFreshDatabase } from '../benchDatabase.js';
import { startCpuMeter } from '../cpuMeter.js';
import { allAnswered, runLoad, type LoadResult } from '../load.js';
import type { BenchOptions } from '../options.js';
import { withSimulator } from '../processes.js';
import type { SectionResult } from '../report.js';
import { startServeProcess } from '../settleSystem.js';

const TARGET_PER_SECOND = 1500;
const TARGET_P99_MS = 50;
const BODY = JSON.stringify({ type: 'image', model: IMAGE_MODEL, input: { prompt: 'a benchmark' } });

/**
 * POST /api/v1/tasks at the given concurrency against `settle serve`, each connection its own user, the simulator
 * accepting at once (its tasks then run far longer than the bench, so no check or callback competes).
 */
export function benchSubmit(options: BenchOptions): Promise<SectionResult> {
  return withFreshDatabase((database) =>
    withSimulator(['--seed', '3', '--duration-ms', '3600000'], async (sim) => {
      const keys = database.users.slice(0, options.concurrency).map((u) => u.apiKey);
      const serve = await startServeProcess(database, sim.url, { WORKER_POLL_MIN_MS: '3600000', WORKER_POLL_MAX_MS: '3600000' }, options.cpuProfDir);
      let cpuPerTask: Record<string, number> = {};
      const cpu = startCpuMeter({ self: 'load generator', children: { settle: serve.child.pid, simulator: sim.child.pid }, postgres: databaseServerIsLocal() });
      const load = await runLoad({
        url: serve.url,
        connections: options.concurrency,
        amount: options.submitRequests,
        method: 'POST',
        body: BODY,
        requestsOf: (i) => [{ path: '/api/v1/tasks', method: 'POST', body: BODY, headers: authorized(keys[i % keys.length]!) }],
      })
        .then(async (load) => {
          cpuPerTask = cpu.stop(load.ok); // before the check's own requests, while the serve process still exists
          await expectHeld(serve.url, keys, load);
          return load;
        })
        .finally(() => serve.stop());
      return {
        name: 'submit',
        what: `POST /api/v1/tasks, ${options.submitRequests} tasks at concurrency ${options.concurrency} (${keys.length} users), settle serve`,
        figures: { 'tasks/s': load.perSecond, 'p50 ms': load.p50, 'p99 ms': load.p99, ...cpuPerTask },
        targets: [
          { label: `≥ ${TARGET_PER_SECOND} tasks/s`, pass: load.perSecond >= TARGET_PER_SECOND },
          { label: `p99 ≤ ${TARGET_P99_MS} ms`, pass: load.p99 <= TARGET_P99_MS },
          allAnswered(load),
        ],
      };
    }),
  );
}

/**
 * Every 202 (warm-up included) is a task the provider accepted, its price frozen on its user's credits. A request
 * that timed out on our side, or was cut off at the end of the warm-up, may still have been accepted.
 */
async function expectHeld(url: string, keys: string[], { ok, failed, cutOff }: LoadResult): Promise<void> {
  const price = priceOf(BUILT_IN_MODELS.find((m) => m.id === IMAGE_MODEL)!, {});
  let frozen = 0;
  for (const key of keys) {
    const res = await fetch(`${url}/api/v1/credits`, { headers: authorized(key) });
    frozen += ((await res.json()) as { frozen: number }).frozen;
  }
  if (frozen < ok * price || frozen > (ok + failed + cutOff) * price) {
    throw new Error(`after ${ok} answers 202 (and ${failed} failed, ${cutOff} cut off) at ${price} credits, ${frozen} credits are frozen`);
  }
}
