import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.js';
import { CLI_PATH, runCli } from '../helpers/cli.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/db.js';
import type { Harness } from '../helpers/harness.js';
import { freePort, waitFor } from '../helpers/net.js';
import {
  credits,
  downloadsOf,
  expectAuditClean,
  IMAGE,
  journal,
  refunded,
  settled,
  startService,
  startWorld,
  storedFilesOf,
  type Service,
} from './world.js';

const MAX_RESULT_BYTES = 100_000;

describe('result downloads are bounded', () => {
  let h: Harness;
  let internal: Service;
  let unsized: Service;
  beforeAll(async () => {
    // An internal service nobody allowed, and an allowed one that streams 300 KB without saying how long it is.
    internal = await startService((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('internal'));
    unsized = await startService((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 30; i++) res.write(Buffer.alloc(10_000, i));
      res.end();
    });
    const simPort = await freePort();
    h = await startWorld({
      sim: { port: simPort },
      env: {
        DOWNLOAD_ALLOWED_HOSTS: `127.0.0.1:${simPort},127.0.0.1:${unsized.port}`,
        MAX_RESULT_BYTES: String(MAX_RESULT_BYTES),
      },
    });
  });
  afterEach(() => h.sim.setFaults({ resultHost: null, resultUrl: null, resultBytes: null }));
  afterAll(async () => {
    await h.close();
    await internal.close();
    await unsized.close();
  });

  async function expectRefused(apiKey: string, taskId: string) {
    const row = await settled(h, taskId);
    expect(row).toMatchObject({ status: 'failed', error_code: 'result_refused' });
    expect(await journal(h.system.db, taskId)).toEqual(refunded());
    expect(await credits(h, apiKey)).toEqual({ balance: 100, frozen: 0, available: 100 });
    expect(storedFilesOf(h, taskId)).toEqual([]);
    await expectAuditClean(h);
    return row;
  }

  it('a result URL on a loopback address that is not allowed (resultHost) fails the task with result_refused and refunds', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ resultHost: '127.0.0.2' });
    const taskId: string = (await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE)).body.taskId;
    const row = await expectRefused(apiKey, taskId);
    expect(downloadsOf(h, row.provider_task_id!)).toBe(0);
  });

  it('a result URL naming an internal service fails the task with result_refused, and the service gets no request', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ resultUrl: `${internal.url}/admin/export.png` });
    const taskId: string = (await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE)).body.taskId;
    await expectRefused(apiKey, taskId);
    expect(internal.requests).toEqual([]);
  });

  it('a result larger than MAX_RESULT_BYTES is refused and nothing is stored', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ resultBytes: 3 * MAX_RESULT_BYTES });
    const taskId: string = (await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE)).body.taskId;
    await expectRefused(apiKey, taskId);
  });

  it('a result that does not say its size and streams past MAX_RESULT_BYTES is refused and nothing is stored', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ resultUrl: `${unsized.url}/result.png` });
    const taskId: string = (await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE)).body.taskId;
    await expectRefused(apiKey, taskId);
    expect(unsized.requests.length).toBeGreaterThanOrEqual(1);
  });
});

describe('a running `settle serve` given a result larger than MAX_RESULT_BYTES', () => {
  let sim: RunningSimulator;
  let database: TestDatabase | undefined;
  let child: ChildProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'settle-truth-'));
  afterAll(async () => {
    child?.kill('SIGKILL');
    await sim?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses it and keeps serving', { timeout: 120_000 }, async () => {
    sim = await startSimulator({ port: 0, seed: 7, durationMs: [150, 300], rateLimit: null, resultBytes: 3 * MAX_RESULT_BYTES });
    // PostgreSQL when the suite runs on it; else the embedded database in a directory both commands open in turn.
    database = usingPostgres() ? await createTestDatabase() : undefined;
    const port = await freePort();
    const env = {
      ...(database ? { DATABASE_URL: database.url! } : { SETTLE_DATA_DIR: dataDir }),
      STORAGE_DIR: join(dataDir, 'assets'),
      KIE_BASE_URL: sim.url,
      KIE_API_KEY: 'test-key',
      DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      MAX_RESULT_BYTES: String(MAX_RESULT_BYTES),
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    };
    const created = await runCli(['users', 'create', '--email', 'big-result@example.com', '--credits', '100', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const { apiKey } = JSON.parse(created.stdout);
    let output = '';
    child = spawn(process.execPath, [CLI_PATH, 'serve'], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d));
    child.stderr!.on('data', (d: Buffer) => (output += d));
    const exited = new Promise<string>((resolve) => child!.once('exit', (code, signal) => resolve(`exit code ${code}, signal ${signal}`)));
    const base = `http://127.0.0.1:${port}`;
    /** An API call; when the process stopped answering, the failure says how it ended and what it printed. */
    const call = async (path: string, init: RequestInit = {}) => {
      const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      try {
        const res = await fetch(`${base}${path}`, { ...init, headers });
        return { status: res.status, body: await res.json() };
      } catch (err) {
        const ended = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 2000))]);
        throw new Error(`settle serve stopped answering ${path} (${ended}): ${(err as Error).message}\n${output}`);
      }
    };
    await waitFor('settle serve to answer', () => fetch(`${base}/healthz`).then((r) => r.ok, () => false), 30_000);

    const submitted = await call('/api/v1/tasks', { method: 'POST', body: JSON.stringify(IMAGE) });
    expect(submitted.status).toBe(202);
    const view = await waitFor('the task to settle', async () => {
      const answer = await call(`/api/v1/tasks/${submitted.body.taskId}`);
      return ['completed', 'failed'].includes(answer.body.status) && answer.body;
    }, 30_000, 200);
    expect(view.status).toBe('failed');
    expect(view.error.code).toBe('result_refused');
    expect((await call('/api/v1/credits')).body).toEqual({ balance: 100, frozen: 0, available: 100 });
    expect(child.exitCode).toBeNull();
  });
});
