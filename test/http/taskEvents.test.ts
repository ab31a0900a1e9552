import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/cli.js';
import { usingPostgres } from '../helpers/db.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { openEventStream, taskOf, type StreamReader } from './taskEventStream.js';

const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a fox in the snow' } };

/** Event ids must only grow, and the stream must end with exactly one terminal event. */
function expectOrdered(events: StreamReader['events'], terminal: string): void {
  const ids = events.map((e) => Number(e.id));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(ids.length);
  expect(events.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
  expect(events.at(-1)?.event).toBe(terminal);
}

async function completedAt(h: Harness, taskId: string): Promise<number> {
  const { rows } = await h.system.db.query<{ completed_at: Date }>('SELECT completed_at FROM tasks WHERE id = $1', [taskId]);
  return rows[0]!.completed_at.getTime();
}

describe('GET /api/v1/tasks/:taskId/events (same process)', () => {
  let h: Harness;
  let key: string;
  beforeAll(async () => {
    h = await startHarness({
      sim: { durationMs: [2500, 3000] },
      env: { EVENTS_POLL_MS: '100', EVENTS_NUDGE_MS: '250', EVENTS_HEARTBEAT_MS: '300', EVENTS_MAX_STREAMS_PER_KEY: '2' },
    });
    key = (await h.user(1000)).apiKey;
  });
  afterAll(() => h.close());

  const submit = async (apiKey = key) => {
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO);
    expect(res.status).toBe(202);
    return res.body.taskId as string;
  };

  it('sends the state at once, then progress in order, then completed within 1 s of the settlement, then closes', async () => {
    const taskId = await submit();
    const stream = await openEventStream(h.url, key, taskId);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.ended;

    expect(stream.raw.startsWith('retry: 2000\n\n')).toBe(true);
    expect(stream.raw).toContain(': ping\n\n');
    expectOrdered(stream.events, 'completed');
    expect(taskOf(stream.events[0]!).status).toBe('processing');
    const progress = stream.events.filter((e) => e.event === 'progress').map((e) => taskOf(e).progress);
    expect(progress.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(2);
    const done = stream.events.at(-1)!;
    expect(taskOf(done)).toMatchObject({ status: 'completed', progress: 100, creditsCharged: 30 });
    expect(JSON.parse(done.data)).not.toHaveProperty('userId');
    expect(taskOf(done).assetUrl).toMatch(new RegExp(`/assets/[0-9a-f]{2}/${taskId}-0-[0-9a-f]{32}\\.mp4$`));
    const lagMs = done.receivedAt - (await completedAt(h, taskId));
    console.log(`completed event ${lagMs} ms after the settlement (same process)`);
    expect(lagMs).toBeLessThan(1000);
    expect(h.server.app.taskEvents.open()).toBe(0);
  });

  it('a reconnect with Last-Event-ID sends only newer states and still ends with the terminal event', async () => {
    const taskId = await submit();
    const first = await openEventStream(h.url, key, taskId);
    await waitFor('two events', async () => first.events.length >= 2);
    first.close();
    await first.ended;
    const seen = first.events.at(-1)!;
    await waitFor('the task to move on while nobody listens', async () => {
      const { rows } = await h.system.db.query<{ progress: number; status: string }>('SELECT progress, status FROM tasks WHERE id = $1', [taskId]);
      return rows[0]!.status !== 'processing' || rows[0]!.progress > taskOf(seen).progress;
    });

    const resumed = await openEventStream(h.url, key, taskId, seen.id);
    await resumed.ended;
    expect(Number(resumed.events[0]!.id)).toBeGreaterThan(Number(seen.id));
    expectOrdered([...first.events, ...resumed.events], 'completed');

    // Resuming a finished task from before its end still gets the terminal event, so a client never hangs.
    const late = await openEventStream(h.url, key, taskId, seen.id);
    await late.ended;
    expect(late.events.map((e) => e.event)).toEqual(['completed']);
  });

  it('a reconnect at or past the terminal event answers 204 (an EventSource then stops), not the terminal event again', async () => {
    const taskId = await submit();
    const first = await openEventStream(h.url, key, taskId);
    await first.ended;
    const terminal = first.events.at(-1)!;
    expect(terminal.event).toBe('completed');
    for (const lastEventId of [terminal.id, String(Number(terminal.id) + 1), '99999']) {
      const again = await openEventStream(h.url, key, taskId, lastEventId);
      expect(again.status, `Last-Event-ID ${lastEventId}`).toBe(204);
      expect(again.events).toEqual([]);
    }
    expect(h.server.app.taskEvents.open()).toBe(0);
    // Another user still learns nothing about the task.
    const stranger = await h.user(0);
    expect((await openEventStream(h.url, stranger.apiKey, taskId, terminal.id)).status).toBe(404);
  });

  it('a client that disconnects frees its stream; past the per-key cap the answer is 429 JSON', async () => {
    h.sim.setFaults({ hangRate: 1 });
    const taskId = await submit().finally(() => h.sim.setFaults({ hangRate: 0 }));
    const a = await openEventStream(h.url, key, taskId);
    const b = await openEventStream(h.url, key, taskId);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(h.server.app.taskEvents.open()).toBe(2);
    expect(await openStreamsGauge()).toBe(2);

    const refused = await h.api(key, 'GET', `/api/v1/tasks/${taskId}/events`);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const admin = await h.user(0, 'admin');
    const other = await openEventStream(h.url, admin.apiKey, taskId);
    expect(other.status).toBe(200);
    other.close();

    a.close();
    b.close();
    await waitFor('every stream to be released', async () => h.server.app.taskEvents.open() === 0);
    expect(await openStreamsGauge()).toBe(0);
    const c = await openEventStream(h.url, key, taskId);
    expect(c.status).toBe(200);
    c.close();
    await waitFor('the last stream to be released', async () => h.server.app.taskEvents.open() === 0);
  });

  async function openStreamsGauge(): Promise<number> {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('settle_event_streams_open '));
    return Number(line?.split(' ')[1]);
  }

  it("another user's task is 404 like a missing one; no key is 401", async () => {
    const taskId = await submit();
    const stranger = await h.user(0);
    expect((await h.api(stranger.apiKey, 'GET', `/api/v1/tasks/${taskId}/events`)).status).toBe(404);
    expect((await h.api(key, 'GET', `/api/v1/tasks/00000000-0000-4000-8000-000000000000/events`)).status).toBe(404);
    expect((await h.api(undefined, 'GET', `/api/v1/tasks/${taskId}/events`)).status).toBe(401);
  });
});

describe.skipIf(!usingPostgres())('GET /api/v1/tasks/:taskId/events with the settlement made by a second process (`settle worker`, shared PostgreSQL)', () => {
  let h: Harness;
  const stopWorker: (() => Promise<number | null>)[] = [];
  beforeAll(async () => {
    // Callbacks are lost and this process never asks the provider itself (EVENTS_NUDGE_MS=0): only the worker
    // process can move the task, so every event the stream sends comes from the other process's writes. The
    // provider holds each task (progress rising for 8 s, then 99%) until the test finishes it.
    h = await startHarness({ sim: { durationMs: [8000, 8000], lostCallbackRate: 1, hangRate: 1 }, env: { EVENTS_NUDGE_MS: '0' } });
  });
  afterAll(async () => {
    for (const stop of stopWorker) await stop();
    await h.close();
  });

  it('streams the progress and the completion written by the worker process, completed within 2 s of its settlement', async () => {
    const worker = spawn(process.execPath, [CLI_PATH, 'worker'], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: h.database.url!,
        KIE_BASE_URL: h.sim.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
        KIE_API_KEY: 'test-key',
        PUBLIC_URL: h.url,
        STORAGE_DIR: h.system.config.storageDir,
        WORKER_POLL_MIN_MS: '200',
        WORKER_POLL_MAX_MS: '300',
        RECONCILE_CRON: 'off',
        CLEANUP_CRON: 'off',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout!.on('data', (d: Buffer) => (output += d));
    worker.stderr!.on('data', (d: Buffer) => (output += d));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    stopWorker.push(() => (worker.exitCode === null ? (worker.kill('SIGTERM'), exited) : exited));
    // On a busy machine the worker can take seconds to start: the task is submitted once it runs, so its first
    // provider checks fall while the task is still in progress (a worker that started late saw it finished).
    await waitFor('the worker process to run', async () => output.includes('settle worker is running') || worker.exitCode !== null, 60_000);
    expect(worker.exitCode, output).toBeNull();

    const { apiKey } = await h.user(100);
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO);
    const taskId = submitted.body.taskId as string;
    const stream = await openEventStream(h.url, apiKey, taskId);
    const inProgress = () => stream.events.filter((e) => e.event === 'progress' && taskOf(e).progress > 0 && taskOf(e).progress < 100);
    await waitFor('two progress events written by the worker', async () => inProgress().length >= 2, 60_000);
    const { rows: [task] } = await h.system.db.query<{ provider_task_id: string }>('SELECT provider_task_id FROM tasks WHERE id = $1', [taskId]);
    h.sim.finish(task!.provider_task_id, 'success');

    await stream.ended;
    expectOrdered(stream.events, 'completed');
    const { rows } = await h.system.db.query<{ settled_by: string; completed_at: Date }>('SELECT settled_by, completed_at FROM tasks WHERE id = $1', [taskId]);
    expect(rows[0]!.settled_by).toBe('worker');
    const lagMs = stream.events.at(-1)!.receivedAt - rows[0]!.completed_at.getTime();
    console.log(`completed event ${lagMs} ms after the worker process settled the task`);
    expect(lagMs).toBeLessThan(2000);
    expect(taskOf(stream.events.at(-1)!)).toMatchObject({ status: 'completed', creditsCharged: 30 });
    expect(await stopWorker.pop()!()).toBe(0);
  });
});

if (!usingPostgres()) {
  console.log('taskEvents: the second-process settlement needs a shared PostgreSQL; set TEST_DATABASE_URL to run it (the same-process variant ran)');
}
