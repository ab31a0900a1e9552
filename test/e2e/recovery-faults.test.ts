import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frozenCreditsSummary } from '../../src/ledger/index.js';
import { ProviderError, type Provider } from '../../src/providers/index.js';
import { scheduleJobs, type Scheduler } from '../../src/jobs/index.js';
import { RECOVERY_JOBS, startWorker, type Worker } from '../../src/recovery/index.js';
import type { TaskDeps } from '../../src/tasks/index.js';
import { CLI_PATH, runCli } from '../helpers/cli.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { freePort, waitFor } from '../helpers/net.js';
import { expectEachTaskSettledOnce } from '../recovery/helpers.js';

// Short timeouts with two attempts, so hung tasks reach their final deadline within the test. Images (the orphans
// of the killed process) get a little longer: they must still be within it when recovery re-dispatches them.
const MODELS = [
  { id: 'sora-2-text-to-video', type: 'video', price: 30, timeoutMs: 3000, maxAttempts: 2 },
  { id: 'google/nano-banana', type: 'image', price: 4, timeoutMs: 6000, maxAttempts: 2 },
];
const TASKS = 32;
const ORPHANS = 5;

/** Answers 429 to a share of status checks, as KIE does under load, in front of the real adapter. */
function withStatus429(deps: TaskDeps, share: number, counter: { n: number }): TaskDeps {
  return {
    ...deps,
    providers: {
      get(name) {
        const real = deps.providers.get(name);
        const provider: Provider = {
          name: real.name,
          submit: (r) => real.submit(r),
          parseCallback: (b, q) => real.parseCallback(b, q),
          download: (u) => real.download(u),
          status: async (id) => {
            if (Math.random() < share) {
              counter.n++;
              throw new ProviderError('transient', '429', 'KIE recordInfo failed: 429 Too many requests', { retryAfterMs: 200 });
            }
            return real.status(id);
          },
        };
        return provider;
      },
    },
  };
}

/** A "provider" that accepts connections and never answers: a dispatch to it hangs until its timeout. */
async function startBlackhole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('recovery under provider faults (simulator), with worker and scheduled reconciler and cleanup', () => {
  let h: Harness;
  let worker: Worker | undefined;
  let scheduler: Scheduler | undefined;
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'settle-faults-'));
  const modelsFile = join(dir, 'models.json');
  writeFileSync(modelsFile, JSON.stringify({ replace: true, models: MODELS }));

  beforeAll(async () => {
    h = await startHarness({
      sim: {
        seed: 2024,
        durationMs: [200, 1200],
        failRate: 0.15,
        hangRate: 0.15,
        lostCallbackRate: 0.5,
        transientErrorRate: 0.1,
        rateLimit: { max: 8, windowMs: 1000 },
      },
      env: {
        MODELS_FILE: modelsFile,
        WORKER_POLL_MIN_MS: '100',
        WORKER_POLL_MAX_MS: '500',
        STUCK_AFTER_MINUTES: '0.02',
        PENDING_STUCK_MINUTES: '0.02',
        RECONCILE_CRON: '* * * * * *',
        CLEANUP_CRON: '*/2 * * * * *',
        PROVIDER_RATE_LIMIT: '10',
        PROVIDER_RATE_WINDOW_MS: '1000',
        // The orphans' createTasks went to a black hole: in doubt for 2 s, then recovery sends them to the simulator.
        DISPATCH_DOUBT_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await scheduler?.stop();
    await worker?.stop();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Tasks held and inserted by a `settle serve` that is then kill -9'd before any provider accepted them. */
  async function orphansOfAKilledProcess(): Promise<string[]> {
    const blackhole = await startBlackhole();
    const port = await freePort();
    const { apiKey, userId } = await h.user(1000);
    child = spawn(process.execPath, [CLI_PATH, 'serve'], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: h.database.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        KIE_BASE_URL: blackhole.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
        KIE_API_KEY: 'test-key',
        MODELS_FILE: modelsFile,
        STORAGE_DIR: join(dir, 'child-assets'),
        TASK_LEASE_MS: '1500',
        RECONCILE_CRON: 'off',
        CLEANUP_CRON: 'off',
        SUBMIT_RATE_LIMIT_PER_MINUTE: '100000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
    await waitFor('the child to serve', async () => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false), 30_000);
    const aborter = new AbortController();
    for (let i = 0; i < ORPHANS; i++) {
      void fetch(`http://127.0.0.1:${port}/api/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'image', model: 'google/nano-banana', input: { prompt: `orphan ${i}` } }),
        signal: aborter.signal,
      }).catch(() => undefined);
    }
    const ids = await waitFor('the held tasks to be inserted', async () => {
      const { rows } = await h.system.db.query<{ id: string }>(`SELECT id FROM tasks WHERE user_id = $1 AND status = 'pending'`, [userId]);
      return rows.length === ORPHANS ? rows.map((r) => r.id) : undefined;
    });
    child.kill('SIGKILL'); // between hold and dispatch: the dispatches hang on the blackhole
    expect(await exited).toBe('SIGKILL');
    aborter.abort();
    await blackhole.close();
    const { rows } = await h.system.db.query(`SELECT 1 FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'pending' AND provider_task_id IS NULL AND lease_owner IS NOT NULL`, [ids]);
    expect(rows.length).toBe(ORPHANS);
    return ids;
  }

  it('every task ends terminal (or inside its deadline), charged exactly once on success, refunded otherwise', async () => {
    const orphans = h.database.url ? await orphansOfAKilledProcess() : [];
    if (!h.database.url) console.log('recovery-faults: the kill -9 part needs TEST_DATABASE_URL (a second process cannot open in-memory PGlite); skipped');

    const injected429 = { n: 0 };
    const deps = withStatus429(h.system.tasks, 0.1, injected429);
    worker = startWorker(deps, { concurrency: 8 });
    scheduler = scheduleJobs(h.system.jobRunner, RECOVERY_JOBS, deps);
    if (orphans.length > 0) {
      await waitFor('recovery to dispatch the orphans', async () => {
        const { rows } = await h.system.db.query(`SELECT 1 FROM tasks WHERE id = ANY($1::uuid[]) AND status <> 'pending'`, [orphans]);
        return rows.length === orphans.length;
      });
    }

    const users = [await h.user(2000), await h.user(2000), await h.user(2000), await h.user(2000)];
    for (let i = 0; i < TASKS; i++) {
      const user = users[i % users.length]!;
      const body = i % 4 === 3
        ? { type: 'image', model: 'google/nano-banana', input: { prompt: `image ${i}` } }
        : { type: 'video', model: 'sora-2-text-to-video', input: { prompt: `video ${i}` } };
      const res = await h.api(user.apiKey, 'POST', '/api/v1/tasks', body);
      expect([202, 422]).toContain(res.status); // 422: a permanent rejection, failed and refunded at once
    }

    await waitFor('every task to be terminal', async () => {
      const { rows } = await h.system.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM tasks WHERE status IN ('pending', 'processing')`);
      return rows[0]!.n === 0;
    }, 45_000, 250);
    await scheduler.stop();
    await worker.stop();

    // The faults really happened: hangs, failures, lost callbacks, 5xx and 429 answers.
    const stats = h.sim.stats();
    expect(stats.callbacksLost).toBeGreaterThan(0);
    expect(stats.transientErrors).toBeGreaterThan(0);
    expect(stats.tasks.fail).toBeGreaterThan(0);
    expect(stats.tasks.generating + stats.tasks.queuing + stats.tasks.waiting).toBeGreaterThan(0); // hung for good
    expect(injected429.n).toBeGreaterThan(0);

    // Each task against what its (last) provider task did: a success is completed, a hang failed for timeout, a
    // failure failed. The journal check below then shows completed = charged once, failed = refunded.
    h.sim.setFaults({ transientErrorRate: 0 }); // so that the checks below read the provider's records reliably
    const { rows: tasks } = await h.system.db.query<{ id: string; status: string; error_code: string | null; provider_task_id: string | null }>(
      `SELECT id, status, error_code, provider_task_id FROM tasks`,
    );
    for (const task of tasks) {
      if (!task.provider_task_id) {
        expect(task, 'never accepted: failed at dispatch').toMatchObject({ status: 'failed' });
        continue;
      }
      const record = await fetch(`${h.sim.url}/api/v1/jobs/recordInfo?taskId=${task.provider_task_id}`, { headers: { authorization: 'Bearer test-key' } }).then((r) => r.json());
      const state = record.data.state as string;
      const seen = JSON.stringify({ task, state });
      // A success that came only after the task was failed for timeout stays failed (a late result, not charged).
      if (state === 'success') expect(task.status === 'completed' || task.error_code === 'timeout', seen).toBe(true);
      else if (state === 'fail') expect(task.status, seen).toBe('failed');
      else expect(task, seen).toMatchObject({ status: 'failed', error_code: 'timeout' });
    }
    await expectEachTaskSettledOnce(h.system.db);
    const frozen = await frozenCreditsSummary(h.system.db);
    const open = await h.system.db.query<{ n: number }>(`SELECT coalesce(sum(amount), 0)::integer AS n FROM credit_holds WHERE status = 'open'`);
    expect(frozen.total).toBe(open.rows[0]!.n);
    expect(frozen.total).toBe(0);
    await expectAuditClean(h.system.db);

    // The orphans of the killed process were dispatched by recovery to the real provider and settled.
    if (orphans.length > 0) {
      const { rows } = await h.system.db.query<{ status: string; attempts: number; provider_task_id: string | null }>(
        `SELECT status, attempts, provider_task_id FROM tasks WHERE id = ANY($1::uuid[])`,
        [orphans],
      );
      expect(rows).toHaveLength(ORPHANS);
      for (const row of rows) {
        expect(['completed', 'failed']).toContain(row.status);
        expect(row.attempts).toBeGreaterThanOrEqual(1);
        expect(row.provider_task_id).not.toBeNull();
      }
      const audit = await runCli(['audit'], { DATABASE_URL: h.database.url });
      expect(audit.code, audit.stdout + audit.stderr).toBe(0);
      expect(audit.stdout).toMatch(/passed/i);
    }
  });
});
