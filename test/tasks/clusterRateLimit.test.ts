import { mkdtempSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterDispatchSlots, submitTask } from '../../src/tasks/index.js';
import { createUser } from '../../src/users/index.js';
import { usingPostgres } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { startWorkerProcess } from '../helpers/workerProcess.js';
import { VIDEO_MODEL } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

const LIMIT = { PROVIDER_RATE_LIMIT: '20', PROVIDER_RATE_WINDOW_MS: '10000' };

describe('one provider rate limit for the whole cluster', () => {
  let r: RecoverySystem | undefined;
  const workers: ChildProcess[] = [];
  const storage = mkdtempSync(join(tmpdir(), 'settle-cluster-limit-'));
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await r?.close();
    rmSync(storage, { recursive: true, force: true });
  });

  it('concurrent takers on separate connections get at most max slots in any window', async () => {
    r = await startRecoverySystem();
    const pools = [r.system.db, r.secondDb(), r.secondDb(), r.secondDb()];
    const window = { max: 5, windowMs: 400 };
    const taken: number[] = [];
    const started = Date.now();
    // 4 connections, each taking as fast as it can, for two and a half windows.
    await Promise.all(pools.map(async (db) => {
      const slots = clusterDispatchSlots(db, window);
      while (Date.now() - started < 1_000) {
        if ((await slots.take('kie')) === 0) taken.push(Date.now());
      }
    }));
    taken.sort((x, y) => x - y);
    expect(taken.length).toBeGreaterThanOrEqual(10);
    for (let i = 0; i + window.max < taken.length; i++) expect(taken[i + window.max]! - taken[i]!, `slot ${i}`).toBeGreaterThanOrEqual(window.windowMs);
  });

  it.runIf(usingPostgres())('four Settle processes against KIE at 20 per 10 s: at most 20 createTask calls in any 10 s window, and no 429', async () => {
    await r?.close();
    // The simulator enforces KIE's own limit: a call over it is answered 429, which must never happen.
    r = await startRecoverySystem({ sim: { durationMs: [60_000, 60_000], rateLimit: { max: 20, windowMs: 10_000 } }, env: LIMIT });
    const env = {
      DATABASE_URL: r.database.url!, KIE_BASE_URL: r.sim.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1', KIE_API_KEY: 'test-key',
      STORAGE_DIR: storage, RECONCILE_CRON: 'off', CLEANUP_CRON: 'off', WORKER_POLL_MIN_MS: '200', WORKER_POLL_MAX_MS: '1000',
      LOG_LEVEL: 'warn', ...LIMIT,
    };
    for (let i = 0; i < 3; i++) workers.push(startWorkerProcess(env).child);
    const user = await createUser(r.system.db, { email: `cluster-${process.pid}@example.com`, credits: 10_000 });
    const limit = pLimit(10);
    // The fourth process is this one: its submissions take slots from the same window. A burst is answered at once.
    const answered: number[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => limit(async () => {
      const t0 = Date.now();
      await submitTask(r!.system.tasks, { userId: user.userId, type: 'video', model: VIDEO_MODEL, input: { prompt: `burst ${i}` } });
      answered.push(Date.now() - t0);
    })));
    expect(Math.max(...answered)).toBeLessThan(5_000);
    await waitFor('every task at the provider', async () => {
      const { rows } = await r!.system.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM tasks WHERE status = 'processing'`);
      return rows[0]!.n === 50;
    }, 60_000, 250);
    expect(r.sim.mostCreateCallsInWindow(10_000)).toBeLessThanOrEqual(20);
    expect(r.sim.stats().rejectedRateLimited).toBe(0);
  }, 90_000);
});
