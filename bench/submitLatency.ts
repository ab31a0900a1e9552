// Submission hot path: one transaction (insert + hold), one provider call, one update, answered 202.
// Usage: npm run build && npm run bench:submit [-- --tasks 2000 --concurrency 20]
// DATABASE_URL set: a fresh database on that server; unset: embedded PGlite in memory. The simulator runs as
// `settle sim` in a child process, so the provider's work is not counted as ours.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { loadConfig } from '../src/config.js';
import { openPglite } from '../src/db/index.js';
import { startServer } from '../src/http/index.js';
import { createLogger } from '../src/log/index.js';
import { createSystem } from '../src/system.js';
import { createUser } from '../src/users/index.js';
import { percentile, report } from './report.js';
import { startSimProcess } from './simProcess.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '20' }, port: { type: 'string', default: String(3000 + Math.floor(Math.random() * 5000) * 2) } } });
const taskCount = Number(values.tasks);
const concurrency = Number(values.concurrency);
const port = Number(values.port);
// On the 2-core build machine the API, PostgreSQL and the simulator share both cores; see README for the figures.
const BUDGET_P99_MS = 250;

const { url: simUrl, child: sim } = await startSimProcess(port + 1, ['--seed', '3', '--duration-ms', '60000-60000', '--no-rate-limit']);

const storage = mkdtempSync(join(tmpdir(), 'settle-bench-'));
const config = loadConfig({
  ...(process.env.DATABASE_URL && { DATABASE_URL: process.env.DATABASE_URL }),
  PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, KIE_BASE_URL: simUrl, STORAGE_DIR: storage,
  SUBMIT_RATE_LIMIT_PER_MINUTE: '1000000', WORKER_POLL_MIN_MS: '600000', WORKER_POLL_MAX_MS: '600000',
});
const system = await createSystem(config, { db: process.env.DATABASE_URL ? undefined : await openPglite(), logger: createLogger('warn') });
const server = await startServer(system, port, '127.0.0.1');
const user = await createUser(system.db, { email: `bench-${Date.now()}@example.com`, credits: (taskCount + 50) * 4 });

const submit = (i: number) => fetch(`${server.url}/api/v1/tasks`, {
  method: 'POST',
  headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
  body: JSON.stringify({ type: 'image', model: 'google/nano-banana', input: { prompt: `bench ${i}` } }),
});
for (let i = 0; i < 50; i++) await submit(-i);

const limit = pLimit(concurrency);
const latencies: number[] = [];
const started = performance.now();
await Promise.all(Array.from({ length: taskCount }, (_, i) => limit(async () => {
  const t0 = performance.now();
  const res = await submit(i);
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  latencies.push(performance.now() - t0);
})));
const wallMs = performance.now() - started;
latencies.sort((a, b) => a - b);
const p99 = percentile(latencies, 99);
report({
  name: `submit-latency-${system.db.kind}`,
  command: `npm run bench:submit -- --tasks ${taskCount} --concurrency ${concurrency}${process.env.DATABASE_URL ? ' (DATABASE_URL=PostgreSQL)' : ' (PGlite)'}`,
  budget: `p99 submission (202) < ${BUDGET_P99_MS} ms at concurrency ${concurrency}`,
  withinBudget: p99 < BUDGET_P99_MS,
  figures: {
    submissions: taskCount,
    concurrency,
    'p50 ms': Math.round(percentile(latencies, 50) * 10) / 10,
    'p95 ms': Math.round(percentile(latencies, 95) * 10) / 10,
    'p99 ms': Math.round(p99 * 10) / 10,
    'throughput /s': Math.round(taskCount / (wallMs / 1000)),
  },
});

await server.close();
await system.close();
sim.kill('SIGTERM');
rmSync(storage, { recursive: true, force: true });

