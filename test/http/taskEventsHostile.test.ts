import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { openEventStream, taskOf } from './taskEventStream.js';

const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a fox in the snow' } };

/** Sends the stream request on a raw socket and drops the connection at once, before the server can answer. */
function requestAndHangUp(port: number, key: string, taskId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /api/v1/tasks/${taskId}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n\r\n`, () => {
        socket.destroy();
        resolve();
      });
    });
    socket.on('error', reject);
  });
}

describe('GET /api/v1/tasks/:taskId/events against hostile or hasty clients', () => {
  let h: Harness;
  let key: string;
  let taskId: string;
  beforeAll(async () => {
    h = await startHarness({ sim: { hangRate: 1 }, env: { EVENTS_POLL_MS: '100', EVENTS_MAX_STREAMS_PER_KEY: '3' } });
    key = (await h.user(1000)).apiKey;
    const res = await h.api(key, 'POST', '/api/v1/tasks', VIDEO);
    expect(res.status).toBe(202);
    taskId = res.body.taskId;
  });
  afterAll(() => h.close());

  it('a client gone before the stream opens holds no stream, so it never eats into the per-key cap', async () => {
    const port = Number(new URL(h.url).port);
    // The task table is locked while the clients come and go, so the server sees each hang-up while it still waits
    // to load the task, and only then opens the stream: on a connection that is already closed.
    await h.system.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE');
      for (let i = 0; i < 4; i++) await requestAndHangUp(port, key, taskId);
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await waitFor('every stream of a gone client to be released', async () => h.server.app.taskEvents.open() === 0, 3000);
    const stream = await openEventStream(h.url, key, taskId);
    expect(stream.status).toBe(200);
    stream.close();
    await waitFor('the stream to be released', async () => h.server.app.taskEvents.open() === 0);
  });

  it.each(['abc', '-1', '1e3', '99999999999999999999', '0x10', ' 5', '5\t', '2101', '', '5, 7', 'null', '2100.0', '9'.repeat(4000)])(
    'Last-Event-ID %j is ignored: the current state is sent',
    async (lastEventId) => {
      const stream = await openEventStream(h.url, key, taskId, lastEventId);
      expect(stream.status).toBe(200);
      await waitFor('the first event', async () => stream.events.length >= 1);
      expect(['pending', 'processing']).toContain(taskOf(stream.events[0]!).status);
      stream.close();
      await waitFor('the stream to be released', async () => h.server.app.taskEvents.open() === 0);
    },
  );
});

describe('GET /api/v1/tasks/:taskId/events when the server shuts down', () => {
  it('ends every open stream at once, so closing does not wait for the grace period', async () => {
    const h = await startHarness({ sim: { hangRate: 1 } });
    try {
      const { apiKey } = await h.user(100);
      const taskId = (await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO)).body.taskId as string;
      const streams = [await openEventStream(h.url, apiKey, taskId), await openEventStream(h.url, apiKey, taskId)];
      await waitFor('both streams to send the current state', async () => streams.every((s) => s.events.length >= 1));
      const started = Date.now();
      await h.server.close();
      await Promise.all(streams.map((s) => s.ended));
      // The grace period for requests in flight is 5 s; a stream left open would hold the close that long.
      expect(Date.now() - started).toBeLessThan(3000);
      expect(h.server.app.taskEvents.open()).toBe(0);
    } finally {
      await h.sim.close();
      await h.database.drop();
      rmSync(h.system.config.storageDir, { recursive: true, force: true });
    }
  });
});
