import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InsufficientCreditsError,
  NotFoundError,
  ProviderRejectedError,
  RateLimitedError,
  SettleClient,
  TaskFailedError,
  UnauthorizedError,
  WaitTimeoutError,
  type Task,
} from '../../src/client/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { forward, passFirstEventThenCut, startProxy, type Proxy } from './proxy.js';

const VIDEO = { type: 'video' as const, model: 'sora-2-text-to-video', input: { prompt: 'a fox in the snow' } };

describe('settle/client against a running server', () => {
  let h: Harness;
  const proxies: Proxy[] = [];
  beforeAll(async () => {
    // A model the catalog accepts but the provider refuses, to see the 422.
    const models = join(tmpdir(), `settle-client-models-${process.pid}.json`);
    writeFileSync(models, JSON.stringify([{ id: 'unsupported-model', type: 'video', price: 5, timeoutMs: 60_000 }]));
    h = await startHarness({
      sim: { durationMs: [2000, 2500] },
      env: { MODELS_FILE: models, EVENTS_POLL_MS: '100', EVENTS_NUDGE_MS: '250', EVENTS_MAX_STREAMS_PER_KEY: '1' },
    });
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await h.close();
  });

  /** Runs fn with a simulator fault on for every task the provider takes meanwhile (retries included). */
  const withFault = async <T>(fault: 'failRate' | 'hangRate', fn: () => Promise<T>): Promise<T> => {
    h.sim.setFaults({ [fault]: 1 });
    try {
      return await fn();
    } finally {
      h.sim.setFaults({ [fault]: 0 });
    }
  };

  /** Submits a video through the proxy and waits for it, polling every 200 ms when it must; every update seen. */
  const submitAndWaitThrough = async (proxy: Proxy) => {
    const client = new SettleClient({ baseUrl: proxy.url, apiKey: (await h.user(100)).apiKey, pollIntervalMs: 200 });
    const { taskId } = await client.submit(VIDEO);
    const seen: Task[] = [];
    const task = await client.waitForCompletion(taskId, { onProgress: (t) => seen.push(t), timeoutMs: 20_000 });
    return { taskId, task, seen };
  };
  const clientFor = async (credits = 100, options = {}) => new SettleClient({ baseUrl: h.url, apiKey: (await h.user(credits)).apiKey, ...options });

  it('submit + waitForCompletion resolve with the asset URL, reporting progress from the event stream', async () => {
    const client = await clientFor();
    expect((await client.models()).find((m) => m.id === VIDEO.model)).toMatchObject({ type: 'video', price: [{ when: { n_frames: '15' }, credits: 45 }, { credits: 30 }] });
    const submitted = await client.submit(VIDEO);
    expect(submitted).toMatchObject({ status: 'processing', creditsHeld: 30 });
    const seen: Task[] = [];
    const task = await client.waitForCompletion(submitted.taskId, { onProgress: (t) => seen.push(t), timeoutMs: 20_000 });
    expect(task).toMatchObject({ taskId: submitted.taskId, status: 'completed', progress: 100, creditsCharged: 30 });
    expect(task.assetUrl).toMatch(new RegExp(`/assets/[0-9a-f]{2}/${submitted.taskId}-0-[0-9a-f]{32}\\.mp4$`));
    expect((await fetch(task.assetUrl!)).status).toBe(200);
    expect(seen.some((t) => t.status === 'processing' && t.progress > 0 && t.progress < 100)).toBe(true);
    expect(seen.map((t) => t.progress)).toEqual([...seen.map((t) => t.progress)].sort((a, b) => a - b));
    expect(await client.credits()).toEqual({ balance: 70, frozen: 0, available: 70 });
  });

  it('a 402 becomes InsufficientCreditsError and creates nothing', async () => {
    const client = await clientFor(10);
    const err = await client.submit(VIDEO).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCreditsError);
    expect(err).toMatchObject({ status: 402, code: 'insufficient_credits' });
    expect(await client.credits()).toEqual({ balance: 10, frozen: 0, available: 10 });
  });

  it('maps 401, 404, 422 and 429 to their typed errors (429 with retryAfter)', async () => {
    await expect(new SettleClient({ baseUrl: h.url, apiKey: 'sk_settle_wrong' }).credits()).rejects.toBeInstanceOf(UnauthorizedError);
    const client = await clientFor();
    await expect(client.get('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    const rejected = await client.submit({ ...VIDEO, model: 'unsupported-model' }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(ProviderRejectedError);
    expect((rejected as ProviderRejectedError).taskId).toMatch(/^[0-9a-f-]{36}$/);

    h.sim.setFaults({ hangRate: 1 });
    const { taskId } = await client.submit(VIDEO).finally(() => h.sim.setFaults({ hangRate: 0 }));
    const abort = new AbortController();
    const first = client.events(taskId, { signal: abort.signal });
    expect((await first.next()).value).toMatchObject({ type: 'progress', task: { taskId, status: 'processing' } });
    const over = await client.events(taskId).next().catch((e: unknown) => e);
    expect(over).toBeInstanceOf(RateLimitedError);
    expect((over as RateLimitedError).retryAfter).toBe(2);
    abort.abort();
    await first.return(undefined).catch(() => undefined);
    await client.cancel(taskId);
  });

  it('with the event stream blocked by a proxy, waitForCompletion still completes by polling', async () => {
    const proxy = await startProxy(h.url, [
      (req, res) => {
        if (!req.url!.endsWith('/events')) return false;
        res.writeHead(403, { 'content-type': 'text/html' }).end('<h1>Streaming is not allowed here</h1>');
        return true;
      },
    ]);
    proxies.push(proxy);
    const { taskId, task, seen } = await submitAndWaitThrough(proxy);
    expect(task.status).toBe('completed');
    expect(task.assetUrl).toBeTruthy();
    expect(proxy.seen.filter((r) => r.endsWith('/events'))).toHaveLength(1);
    expect(proxy.seen.filter((r) => r === `GET /api/v1/tasks/${taskId}`).length).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it('a stream cut after its first event is resumed with Last-Event-ID, and the wait still completes', async () => {
    const resumedWith: (string | undefined)[] = [];
    let firstId: string | undefined;
    const proxy = await startProxy(h.url, [
      (req) => {
        if (req.url!.endsWith('/events')) resumedWith.push(req.headers['last-event-id'] as string | undefined);
        return false;
      },
      async (req, res) => {
        if (!req.url!.endsWith('/events') || resumedWith.length > 1) return false;
        firstId = await passFirstEventThenCut(h.url, req, res);
        return true;
      },
    ]);
    proxies.push(proxy);
    const { task, seen } = await submitAndWaitThrough(proxy);
    expect(task.status).toBe('completed');
    expect(resumedWith.slice(0, 2)).toEqual([undefined, firstId]);
    const progress = seen.filter((t) => t.status === 'processing').map((t) => t.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('a reconnect that fails once (a blip, a restart) is tried again instead of falling back to polling', async () => {
    let eventsRequests = 0;
    const proxy = await startProxy(h.url, [
      async (req, res) => {
        if (!req.url!.endsWith('/events')) return false;
        eventsRequests++;
        if (eventsRequests === 1) {
          // The first stream delivers its first event, then the connection is cut...
          await passFirstEventThenCut(h.url, req, res);
          return true;
        }
        // ... and the first reconnect finds nobody there.
        if (eventsRequests === 2) return res.socket!.destroy(), true;
        return false;
      },
    ]);
    proxies.push(proxy);
    const client = new SettleClient({ baseUrl: proxy.url, apiKey: (await h.user(100)).apiKey });
    const { taskId } = await client.submit(VIDEO);
    const task = await client.waitForCompletion(taskId, { timeoutMs: 20_000 });
    expect(task.status).toBe('completed');
    expect(eventsRequests).toBe(3);
    expect(proxy.seen.filter((r) => r === `GET /api/v1/tasks/${taskId}`)).toHaveLength(0);
  });

  it('a submit whose answer was lost is retried with the same Idempotency-Key: one task, one hold', async () => {
    let cut = 0;
    const keys: string[] = [];
    const proxy = await startProxy(h.url, [
      async (req, res, body) => {
        if (req.method !== 'POST') return false;
        keys.push(String(req.headers['idempotency-key']));
        if (cut++ > 0) return false;
        // The server gets the submission and creates the task; the client never hears back.
        await forward(h.url, req, { writeHead: () => undefined, end: () => undefined } as never, body);
        res.socket!.destroy();
        return true;
      },
    ]);
    proxies.push(proxy);
    const user = await h.user(100);
    const client = new SettleClient({ baseUrl: proxy.url, apiKey: user.apiKey, retryDelayMs: 50 });
    const submitted = await client.submit(VIDEO);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    const { rows } = await h.system.db.query<{ id: string }>('SELECT id FROM tasks WHERE user_id = $1', [user.userId]);
    expect(rows.map((r) => r.id)).toEqual([submitted.taskId]);
    const holds = await h.system.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM credit_holds WHERE user_id = $1', [user.userId]);
    expect(holds.rows[0]!.n).toBe(1);
    // A new submit call is a new task: the key is per call, not per client.
    await client.submit(VIDEO);
    expect(new Set(keys).size).toBe(2);
  });

  it('a failed task rejects with TaskFailedError carrying the refund; timeoutMs gives WaitTimeoutError', async () => {
    const client = await clientFor();
    // The fault holds until the task ends: a failure the provider calls transient is retried, and must fail again.
    const failed = await withFault('failRate', async () => client.waitForCompletion((await client.submit(VIDEO)).taskId, { timeoutMs: 20_000 })).catch(
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(TaskFailedError);
    expect((failed as TaskFailedError).task).toMatchObject({ status: 'failed', creditsRefunded: 30, error: { code: 'provider_failed' } });

    const hanging = await withFault('hangRate', async () => {
      const { taskId } = await client.submit(VIDEO);
      await waitFor('the provider to take the task', async () => (await client.get(taskId)).status !== 'pending');
      return taskId;
    });
    const timedOut = await client.waitForCompletion(hanging, { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(WaitTimeoutError);
    expect((timedOut as WaitTimeoutError).lastSeen?.status).toBe('processing');
    await client.cancel(hanging);
  });

  it('resolves as settle/client through the package exports, with type declarations', () => {
    const root = new URL('../../', import.meta.url);
    const names = execFileSync(process.execPath, ['--input-type=module', '-e', "console.log(Object.keys(await import('settle/client')).join(' '))"], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(names.trim().split(' ')).toEqual(expect.arrayContaining(['SettleClient', 'InsufficientCreditsError', 'RateLimitedError', 'TaskFailedError']));
    expect(existsSync(new URL('dist/client/index.d.ts', root))).toBe(true);
  });

  it('imports nothing but its own files (it ships alone as settle/client)', () => {
    const dir = new URL('../../src/client/', import.meta.url);
    for (const file of readdirSync(dir)) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const specifiers = [...source.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
      expect(specifiers.filter((s) => !/^\.\/[\w-]+\.js$/.test(s)), file).toEqual([]);
    }
  });
});
