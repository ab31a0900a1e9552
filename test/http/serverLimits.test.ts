import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startInstance, type Instance } from '../helpers/instances.js';
import { waitFor } from '../helpers/net.js';
import { openEventStream } from './taskEventStream.js';

const REQUEST_TIMEOUT_MS = 1500;
/** Node looks for expired requests once a second; the rest is room for a busy machine. */
const CUT_WITHIN_MS = REQUEST_TIMEOUT_MS + 1000 + 4000;
const NEVER_MS = 30_000;

interface RawConnection {
  socket: Socket;
  openedAt: number;
  /** When the server closed the connection (null if it did not within NEVER_MS), and what it sent. */
  closed: Promise<{ afterMs: number | null; received: string }>;
}

function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const openedAt = Date.now();
      let received = '';
      socket.on('data', (d) => (received += d.toString()));
      const closed = new Promise<{ afterMs: number | null; received: string }>((done) => {
        const never = setTimeout(() => done({ afterMs: null, received }), NEVER_MS);
        socket.once('close', () => {
          clearTimeout(never);
          done({ afterMs: Date.now() - openedAt, received });
        });
      });
      resolve({ socket, openedAt, closed });
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

/** Writes one byte of `text` every `everyMs` until the server hangs up or the text runs out. */
function trickle(socket: Socket, text: string, everyMs: number): () => void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= text.length) return clearInterval(timer);
    socket.write(text[at++]!);
  }, everyMs);
  return () => clearInterval(timer);
}

describe('connection limits: slow senders are cut, event streams are not', () => {
  let h: Harness;
  let capped: Instance;
  const opened: Socket[] = [];
  beforeAll(async () => {
    h = await startHarness({
      sim: { hangRate: 1 },
      env: { HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), EVENTS_HEARTBEAT_MS: '300', EVENTS_NUDGE_MS: '0' },
    });
    capped = await startInstance(h, { HTTP_MAX_CONNECTIONS: '2' });
  });
  afterAll(async () => {
    for (const socket of opened) socket.destroy();
    await capped?.close();
    await h?.close();
  });

  it('a request whose body trickles in is cut once HTTP_REQUEST_TIMEOUT_MS has passed', async () => {
    const { apiKey } = await h.user(100);
    const raw = await openRaw(h.url);
    opened.push(raw.socket);
    raw.socket.write(`POST /api/v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${apiKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    const stop = trickle(raw.socket, ' '.repeat(999), 100);
    const { afterMs, received } = await raw.closed;
    stop();
    expect(afterMs, 'the slow-body connection stayed open').not.toBeNull();
    expect(afterMs!).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(afterMs!).toBeLessThan(CUT_WITHIN_MS);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('headers that trickle in, or never come, are cut too', async () => {
    const slow = await openRaw(h.url);
    const silent = await openRaw(h.url);
    opened.push(slow.socket, silent.socket);
    const stop = trickle(slow.socket, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'y'.repeat(500)}\r\n\r\n`, 100);
    for (const raw of [slow, silent]) {
      const { afterMs } = await raw.closed;
      expect(afterMs, 'the connection stayed open').not.toBeNull();
      expect(afterMs!).toBeLessThan(CUT_WITHIN_MS);
    }
    stop();
  });

  it('an event stream outlives the request timeout many times over', async () => {
    const { apiKey } = await h.user(100);
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'x' } });
    const stream = await openEventStream(h.url, apiKey, submitted.body.taskId);
    let ended = false;
    void stream.ended.then(() => (ended = true));
    const openedAt = Date.now();
    await waitFor('pings over three request timeouts', async () => ended || Date.now() - openedAt > 3 * REQUEST_TIMEOUT_MS + 1000, 30_000, 100);
    expect(ended).toBe(false);
    const pingsBefore = stream.raw.split(': ping').length;
    await waitFor('another ping', async () => ended || stream.raw.split(': ping').length > pingsBefore, 10_000, 50);
    expect(ended).toBe(false);
    stream.close();
  });

  it('past HTTP_MAX_CONNECTIONS a new connection is closed at once; a freed place is taken again', async () => {
    const first = await openRaw(capped.url);
    const second = await openRaw(capped.url);
    opened.push(first.socket, second.socket);
    await waitFor('both connections to be counted', async () => {
      const raw = await openRaw(capped.url);
      opened.push(raw.socket);
      const { afterMs } = await raw.closed;
      return afterMs !== null && afterMs < 1000;
    });
    first.socket.destroy();
    await waitFor('a place to be free again', async () => (await fetch(`${capped.url}/healthz`).catch(() => null))?.status === 200);
  });
});
