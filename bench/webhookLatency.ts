// Time from provider completion to settled, with webhooks on and nobody polling.
// Usage: npm run build && npm run bench:webhooks [-- --tasks 200]
// DATABASE_URL set: that server; unset: embedded PGlite in memory. The simulator runs as `settle sim` in a child process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openPglite } from '../src/db/index.js';
import { startServer } from '../src/http/index.js';
import { createLogger } from '../src/log/index.js';
import { createSystem } from '../src/system.js';
import { createUser } from '../src/users/index.js';
import { percentile, report } from './report.js';
import { startSimProcess } from './simProcess.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '200' }, port: { type: 'string', default: String(3000 + Math.floor(Math.random() * 5000) * 2) } } });
const taskCount = Number(values.tasks);
const port = Number(values.port);
const BUDGET_P99_MS = 1000;

// The provider runs in its own process, as it would in production: its work must not share our event loop.
const { url: simUrl, child: sim } = await startSimProcess(port + 1, ['--seed', '11', '--duration-ms', '1000-4000', '--no-rate-limit',
  '--callback-hmac-key', 'bench-key', '--result-bytes', String(256 * 1024)]);
const storage = mkdtempSync(join(tmpdir(), 'settle-bench-'));
const config = loadConfig({
  ...(process.env.DATABASE_URL && { DATABASE_URL: process.env.DATABASE_URL }),
  PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`,
  KIE_BASE_URL: simUrl, KIE_WEBHOOK_HMAC_KEY: 'bench-key', STORAGE_DIR: storage,
  // No worker and no polls: only callbacks settle tasks within the measured window.
  WORKER_POLL_MIN_MS: '600000', WORKER_POLL_MAX_MS: '600000',
});
const system = await createSystem(config, { db: process.env.DATABASE_URL ? undefined : await openPglite(), logger: createLogger('warn') });
const server = await startServer(system, port, '127.0.0.1');
const user = await createUser(system.db, { email: `bench-${Date.now()}@example.com`, credits: taskCount * 4 });

const started = Date.now();
await Promise.all(Array.from({ length: taskCount }, (_, i) => fetch(`${server.url}/api/v1/tasks`, {
  method: 'POST',
  headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json' },
  body: JSON.stringify({ type: 'image', model: 'google/nano-banana', input: { prompt: `bench ${i}` } }),
}).then((r) => { if (r.status !== 202) throw new Error(`submit answered ${r.status}`); })));

for (;;) {
  const { rows } = await system.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE user_id = $1 AND status = 'completed'`, [user.userId]);
  if (rows[0]!.n === taskCount) break;
  if (Date.now() - started > 120_000) throw new Error(`only ${rows[0]!.n} of ${taskCount} tasks completed within 120 s`);
  await new Promise((r) => setTimeout(r, 100));
}

const { rows } = await system.db.query<{ ms: number }>(
  `SELECT extract(epoch FROM completed_at - provider_completed_at) * 1000 AS ms FROM tasks WHERE user_id = $1`, [user.userId]);
const latencies = rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
const p99 = percentile(latencies, 99);
report({
  name: `webhook-latency-${system.db.kind}`,
  command: `npm run bench:webhooks -- --tasks ${taskCount}${process.env.DATABASE_URL ? ' (DATABASE_URL=PostgreSQL)' : ' (PGlite)'}`,
  budget: `p99 provider completion → settled < ${BUDGET_P99_MS} ms`,
  withinBudget: p99 < BUDGET_P99_MS,
  figures: {
    tasks: taskCount,
    'p50 ms': Math.round(percentile(latencies, 50)),
    'p95 ms': Math.round(percentile(latencies, 95)),
    'p99 ms': Math.round(p99),
    'max ms': Math.round(latencies.at(-1)!),
    'callbacks sent': (await fetch(`${simUrl}/sim/stats`).then((r) => r.json())).callbacksSent,
    'wall s': Math.round((Date.now() - started) / 100) / 10,
  },
});

await server.close();
await system.close();
sim.kill('SIGTERM');
rmSync(storage, { recursive: true, force: true });

