import { withFreshDatabase } from '../benchDatabase.js';
import { percentile } from '../latency.js';
import type { BenchOptions } from '../options.js';
import { withSimulator } from '../processes.js';
import type { SectionResult } from '../report.js';
import { startServeProcess } from '../settleSystem.js';

/** The budget for a scrape with a million finished tasks. */
const P99_TARGET_MS = 50;

/**
 * GET /metrics against `settle serve`, one scrape after another as Prometheus sends them, on the run's history
 * (--history): the first scrape folds the counters' deltas left by the history fill and is not counted.
 */
export function benchMetrics(options: BenchOptions): Promise<SectionResult> {
  return withFreshDatabase((database) =>
    withSimulator(['--seed', '5', '--duration-ms', '0'], async (sim) => {
      const serve = await startServeProcess(database, sim.url, {}, options.cpuProfDir);
      try {
        await scrape(serve.url);
        const samples: number[] = [];
        for (let i = 0; i < options.scrapes; i++) {
          const started = performance.now();
          await scrape(serve.url);
          samples.push(performance.now() - started);
        }
        const sorted = samples.sort((a, b) => a - b);
        const p99 = percentile(sorted, 99);
        return {
          name: 'metrics',
          what: `GET /metrics, ${options.scrapes} sequential scrapes of settle serve, ${options.history} finished tasks of history`,
          figures: { 'p50 ms': percentile(sorted, 50), 'p95 ms': percentile(sorted, 95), 'p99 ms': p99 },
          targets: [{ label: `p99 < ${P99_TARGET_MS} ms`, pass: p99 < P99_TARGET_MS }],
        };
      } finally {
        await serve.stop();
      }
    }),
  );
}

async function scrape(url: string): Promise<void> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  if (res.status !== 200 || !text.includes('settle_metrics_database_up 1')) throw new Error(`/metrics answered ${res.status} without the database`);
}
