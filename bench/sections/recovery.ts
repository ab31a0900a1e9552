import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../src/db/index.js';
import { startWorker } from '../../src/recovery/index.js';
import { submitImage } from '../api.js';
import { withFreshDatabase } from '../benchDatabase.js';
import { summarize } from '../latency.js';
import type { BenchOptions } from '../options.js';
import { withSimulator } from '../processes.js';
import type { SectionResult } from '../report.js';
import { startInProcess } from '../settleSystem.js';
import { HISTORY_TASK } from '../history.js';

const HMAC_KEY = 'bench-callback-key';
const WEBHOOK_TARGET_P99_MS = 1000;
const SETTLE_LIMIT_MS = 120_000;
/** Tasks arrive at a steady pace, as users submit them, not as one burst that would measure a queue instead. */
const ARRIVALS_PER_SECOND = 20;

/**
 * Provider completion (the simulator's completeTime, stored as provider_completed_at) to settled (completed_at),
 * for tasks finishing 1 to 3 s after submission, with 64 KiB results downloaded and stored. With webhooks: signed
 * callbacks and the worker at its defaults. With callbacks lost: only the worker, polling with a small
 * WORKER_POLL_MAX_MS, finds them.
 */
export function benchRecovery(options: BenchOptions, callbacks: 'webhook' | 'no-callback'): Promise<SectionResult> {
  const lost = callbacks === 'no-callback';
  const simFlags = ['--seed', '11', '--duration-ms', '1000-3000', '--result-bytes', String(64 * 1024), '--callback-hmac-key', HMAC_KEY,
    ...(lost ? ['--lost-callback-rate', '1'] : [])];
  const env = { KIE_WEBHOOK_HMAC_KEY: HMAC_KEY, ...(lost && { WORKER_POLL_MIN_MS: String(Math.min(1000, options.pollMaxMs)), WORKER_POLL_MAX_MS: String(options.pollMaxMs) }) };
  const targetMs = lost ? options.pollMaxMs + 1000 : WEBHOOK_TARGET_P99_MS;
  return withFreshDatabase((database) =>
    withSimulator(simFlags, async (sim) => {
      const settle = await startInProcess(database, sim.url, env, { serve: true });
      const worker = startWorker(settle.system.tasks, { concurrency: settle.system.config.workerConcurrency });
      try {
        await submitPaced(settle.server!.url, database.users[0]!.apiKey, options.recoveryTasks);
        const latencies = await settledLatencies(settle.system.db, options.recoveryTasks);
        const { p50, p99, max } = summarize(latencies);
        return {
          name: `recovery-${callbacks}`,
          what: lost
            ? `${options.recoveryTasks} tasks arriving at ${ARRIVALS_PER_SECOND}/s, every callback lost, worker only (WORKER_POLL_MAX_MS=${options.pollMaxMs})`
            : `${options.recoveryTasks} tasks arriving at ${ARRIVALS_PER_SECOND}/s, signed callbacks, worker at its defaults`,
          figures: { 'p50 ms': p50, 'p99 ms': p99, 'max ms': max },
          targets: [{ label: `p99 < ${targetMs} ms`, pass: p99 < targetMs }],
        };
      } finally {
        await worker.stop();
        await settle.close();
      }
    }),
  );
}

async function submitPaced(url: string, apiKey: string, count: number): Promise<void> {
  const gapMs = 1000 / ARRIVALS_PER_SECOND;
  await Promise.all(Array.from({ length: count }, async (_, i) => {
    await sleep(i * gapMs);
    await submitImage(url, apiKey, `recovery ${i}`);
  }));
}

/** Waits until every task is completed, then reads each one's provider completion to settlement time. */
async function settledLatencies(db: Db, count: number): Promise<number[]> {
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  for (;;) {
    const { rows } = await db.query<{ completed: number; other: number }>(
      `SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed,
              count(*) FILTER (WHERE status IN ('failed', 'canceled'))::int AS other FROM tasks WHERE NOT (${HISTORY_TASK})`);
    const { completed, other } = rows[0]!;
    if (other > 0) throw new Error(`${other} tasks failed; the simulator was set to succeed every task`);
    if (completed === count) break;
    if (Date.now() > deadline) throw new Error(`only ${completed} of ${count} tasks settled within ${SETTLE_LIMIT_MS / 1000} s`);
    await sleep(100);
  }
  const { rows } = await db.query<{ ms: number }>(
    `SELECT extract(epoch FROM completed_at - provider_completed_at) * 1000 AS ms FROM tasks WHERE NOT (${HISTORY_TASK})`);
  return rows.map((r) => Number(r.ms));
}
