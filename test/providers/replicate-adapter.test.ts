import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createReplicateProvider } from '../../src/providers/index.js';
import { startReplicateSimulator, type ReplicateSimulatorOptions, type RunningReplicateSimulator } from '../../src/simulators/index.js';
import { waitFor } from '../helpers/net.js';
import { closedPort, providerError, sleep, startRawServer, terminalStatus, type TestServer } from './helpers.js';

const running: Array<RunningReplicateSimulator | TestServer> = [];

async function simulator(options: ReplicateSimulatorOptions = {}) {
  const sim = await startReplicateSimulator({ seed: 7, durationMs: [30, 60], ...options });
  running.push(sim);
  return sim;
}

async function rawServer(handler: Parameters<typeof startRawServer>[0]) {
  const server = await startRawServer(handler);
  running.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

const video = (taskId = 'task-1') => ({ taskId, model: 'minimax/video-01', input: { prompt: 'a lighthouse in a storm' } });
const image = (taskId = 'task-1') => ({ taskId, model: 'black-forest-labs/flux-schnell', input: { prompt: 'a red fox' } });

describe('Replicate adapter against its simulator', () => {
  it('submits, reports starting then processing, then success with the output URL (a string for video)', async () => {
    // `starting` lasts the first 25% of the duration: 500 ms, room enough on a loaded machine.
    const sim = await simulator({ durationMs: [2000, 2000], apiToken: 'r8_test', resultBytes: 100_000 });
    const replicate = createReplicateProvider({ baseUrl: sim.url, apiToken: 'r8_test', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });

    const { providerTaskId } = await replicate.submit(video());
    expect(providerTaskId).toMatch(/^[a-z2-7]{26}$/);
    expect(await replicate.status(providerTaskId)).toEqual({ state: 'running', progress: 0 });
    await sleep(700);
    const processing = await replicate.status(providerTaskId);
    expect(processing.state).toBe('running');
    if (processing.state === 'running') expect(processing.progress).toBeGreaterThan(0);

    const done = await terminalStatus(replicate, providerTaskId);
    expect(done).toMatchObject({ state: 'success', resultUrls: [`${sim.url}/files/${providerTaskId}/output.mp4`] });
    if (done.state === 'success') expect(done.completedAt).toBeInstanceOf(Date);

    const download = await replicate.download(done.state === 'success' ? done.resultUrls[0]! : '');
    expect(download).toMatchObject({ contentType: 'video/mp4', contentLength: 100_000 });
    let bytes = 0;
    for await (const chunk of download.body) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(100_000);
    expect(sim.stats()).toMatchObject({ submissions: 1, downloads: 1 });
  });

  it('reads an array output (image models) and serves a byte-identical file on every download', async () => {
    const sim = await simulator({ resultBytes: 50_000 });
    const replicate = createReplicateProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const { providerTaskId } = await replicate.submit(image());
    const done = await terminalStatus(replicate, providerTaskId);
    if (done.state !== 'success') throw new Error(`expected success, got ${done.state}`);
    expect(done.resultUrls).toEqual([`${sim.url}/files/${providerTaskId}/out-0.png`]);
    const hashes = [];
    for (let i = 0; i < 2; i++) {
      const download = await replicate.download(done.resultUrls[0]!);
      const hash = createHash('sha256');
      for await (const chunk of download.body) hash.update(chunk as Buffer);
      hashes.push(hash.digest('hex'));
    }
    expect(hashes[0]).toBe(hashes[1]);
  });

  it('submits a version-pinned model through /v1/predictions', async () => {
    const sim = await simulator();
    const replicate = createReplicateProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const version = 'a'.repeat(64);
    const { providerTaskId } = await replicate.submit({ ...image(), model: `someone/custom-model:${version}` });
    const response = await fetch(`${sim.url}/v1/predictions/${providerTaskId}`);
    expect(await response.json()).toMatchObject({ id: providerTaskId, version });
    expect((await terminalStatus(replicate, providerTaskId)).state).toBe('success');
  });

  it('reports failed predictions with their error, transient only for provider-side trouble', async () => {
    const sim = await simulator({ failRate: 1 });
    const replicate = createReplicateProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const failures = new Map<string, unknown>();
    for (let i = 0; i < 8; i++) {
      const { providerTaskId } = await replicate.submit(video(`t${i}`));
      const status = await terminalStatus(replicate, providerTaskId);
      if (status.state !== 'fail') throw new Error(`expected fail, got ${status.state}`);
      failures.set(status.message, { code: status.code, transient: status.transient });
    }
    // Seed 7 draws both of the simulator's failure kinds within eight predictions.
    expect(Object.fromEntries(failures)).toEqual({
      'E1000 Unknown error: Prediction interrupted; please retry.': { code: 'E1000', transient: true },
      'NSFW content detected. Try running it again, or try a different prompt.': { code: undefined, transient: false },
    });
  });

  it('maps aborted and canceled predictions to the terminal, uncharged `aborted` state', async () => {
    // 2 s before the abort: the status read right after the submission must come first, even on a loaded machine
    // (with 40 ms, a busy CI machine read the prediction already aborted).
    const sim = await simulator({ abortRate: 1, durationMs: [2000, 2000] });
    const replicate = createReplicateProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const aborted = await replicate.submit(video('t-aborted'));
    // An aborted prediction never starts: it stays `starting` until its deadline passes.
    expect(await replicate.status(aborted.providerTaskId)).toEqual({ state: 'running', progress: 0 });
    expect(await terminalStatus(replicate, aborted.providerTaskId)).toEqual({
      state: 'aborted',
      message: 'Replicate aborted the prediction before it started',
    });

    sim.setFaults({ abortRate: 0, hangRate: 1 });
    const canceled = await replicate.submit(video('t-canceled'));
    const response = await fetch(`${sim.url}/v1/predictions/${canceled.providerTaskId}/cancel`, { method: 'POST' });
    expect(await response.json()).toMatchObject({ status: 'canceled' });
    expect(await replicate.status(canceled.providerTaskId)).toEqual({ state: 'aborted', message: 'Replicate canceled the prediction' });

    const forced = await replicate.submit(video('t-forced'));
    sim.finish(forced.providerTaskId, 'aborted');
    expect(await replicate.status(forced.providerTaskId)).toMatchObject({ state: 'aborted' });
    expect(sim.stats().predictions).toMatchObject({ aborted: 2, canceled: 1 });
  });

  it('rate-limits creates as transient 429 with the Retry-After honoured, then recovers', async () => {
    const sim = await simulator({ rateLimit: { max: 2, windowMs: 900 } });
    const replicate = createReplicateProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    await replicate.submit(video('t0'));
    await replicate.submit(video('t1'));
    const err = await providerError(replicate.submit(video('t2')));
    expect(err).toMatchObject({ kind: 'transient', code: '429' });
    expect(err.message).toContain('Request was throttled');
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(sim.stats()).toMatchObject({ submissions: 2, rejectedRateLimited: 1 });
    await sleep(err.retryAfterMs!);
    await expect(replicate.submit(video('t3'))).resolves.toHaveProperty('providerTaskId');
  });

  it('maps injected 500 / 503 answers to transient ProviderErrors on create and get', async () => {
    const sim = await simulator({ transientErrorRate: 1 });
    const replicate = createReplicateProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const codes = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const err = await providerError(i % 2 ? replicate.submit(video()) : replicate.status('abc'));
      expect(err.kind).toBe('transient');
      if (err.code === '503') expect(err.retryAfterMs).toBe(1000);
      codes.add(err.code);
    }
    expect([...codes].sort()).toEqual(['500', '503']);
    expect(sim.stats().transientErrors).toBe(12);
  });

  it('treats a wrong token as the operator\'s account problem (401, transient) and never echoes it', async () => {
    const sim = await simulator({ apiToken: 'r8_right' });
    const replicate = createReplicateProvider({ baseUrl: sim.url, apiToken: 'r8_wrong_secret', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const err = await providerError(replicate.submit(video()));
    expect(err).toMatchObject({ kind: 'transient', code: '401', account: true });
    expect(err.message).toContain('valid authentication token');
    expect(`${err.message} ${err.stack}`).not.toContain('r8_wrong_secret');
    expect(await providerError(replicate.status('abc'))).toMatchObject({ kind: 'transient', code: '401', account: true });
  });

  it('treats an unknown model or prediction (404) and invalid input (422) as permanent', async () => {
    const sim = await simulator();
    const replicate = createReplicateProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await providerError(replicate.submit({ ...video(), model: 'someone/no-such-thing' }))).toMatchObject({
      kind: 'permanent',
      code: '404',
    });
    expect(await providerError(replicate.status('doesnotexist'))).toMatchObject({ kind: 'permanent', code: '404' });
    const response = await fetch(`${sim.url}/v1/models/minimax/video-01/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inptu: {} }),
    });
    expect(response.status).toBe(422);
    expect(sim.stats().submissions).toBe(0);
  });

  it('refuses a model id that is not owner/name[:version] before sending anything', async () => {
    const replicate = createReplicateProvider({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const err = await providerError(replicate.submit({ ...video(), model: 'sora-2-text-to-video' }));
    expect(err).toMatchObject({ kind: 'permanent', code: '400' });
  });
});

describe('Replicate adapter wire format and transport failures', () => {
  it('POSTs {input, webhook, webhook_events_filter: ["completed"]} with the Bearer token', async () => {
    const seen: Array<{ method?: string; url?: string; authorization?: string; body: string }> = [];
    const server = await rawServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"pred123","status":"starting"}');
      });
    });
    const replicate = createReplicateProvider({ baseUrl: `${server.url}/`, apiToken: 'r8_abc' });
    const callbackUrl = 'https://settle.example.com/api/webhooks/replicate?task=task-9';
    expect(await replicate.submit({ ...video('task-9'), callbackUrl })).toEqual({ providerTaskId: 'pred123' });
    await replicate.submit(image('task-10'));
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/models/minimax/video-01/predictions', authorization: 'Bearer r8_abc' });
    expect(JSON.parse(seen[0]!.body)).toEqual({
      input: { prompt: 'a lighthouse in a storm' },
      webhook: callbackUrl,
      webhook_events_filter: ['completed'],
    });
    expect(JSON.parse(seen[1]!.body)).toEqual({ input: { prompt: 'a red fox' } });
  });

  it('maps real HTTP statuses: 402 the operator\'s billing (transient), 422 permanent, 502 transient, problem details in the message', async () => {
    const answers: Array<[number, string]> = [
      [402, '{"title":"Payment required","detail":"You have insufficient credit","status":402}'],
      [422, '{"title":"Input validation failed","detail":"input.prompt is required","status":422}'],
      [502, '<html>bad gateway</html>'],
    ];
    const server = await rawServer((_req, res) => {
      const [status, body] = answers.shift()!;
      res.writeHead(status, { 'content-type': 'application/problem+json' }).end(body);
    });
    const replicate = createReplicateProvider({ baseUrl: server.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const billing = await providerError(replicate.submit(video()));
    expect(billing).toMatchObject({ kind: 'transient', code: '402', account: true });
    expect(billing.message).toBe('Replicate create failed: 402 You have insufficient credit');
    expect(await providerError(replicate.submit(video()))).toMatchObject({ kind: 'permanent', code: '422' });
    expect(await providerError(replicate.status('x'))).toMatchObject({ kind: 'transient', code: '502' });
  });

  it('never puts the token in a message, even when an error body echoes it', async () => {
    const server = await rawServer((_req, res) =>
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"detail":"bad header Bearer r8_leaky"}'),
    );
    const replicate = createReplicateProvider({ baseUrl: server.url, apiToken: 'r8_leaky', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const err = await providerError(replicate.status('x'));
    expect(err.message).toBe('Replicate get failed: 400 bad header Bearer [redacted]');
  });

  it('reports an unreachable API as transient "network" and a silent one as transient "timeout"', async () => {
    const unreachable = createReplicateProvider({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const err = await providerError(unreachable.submit(video()));
    expect(err).toMatchObject({ kind: 'transient', code: 'network' });
    expect(err.message).toContain('ECONNREFUSED');
    const silent = await rawServer(() => undefined);
    const slow = createReplicateProvider({ baseUrl: silent.url, requestTimeoutMs: 150, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await providerError(slow.status('abc'))).toMatchObject({ kind: 'transient', code: 'timeout' });
  });

  it('treats a 2xx that is not a prediction as transient, and a created prediction without an id too', async () => {
    const bodies = ['<html>gateway</html>', '{"status":"starting"}', '{"id":"p1"}'];
    const server = await rawServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(bodies.shift()));
    const replicate = createReplicateProvider({ baseUrl: server.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await providerError(replicate.status('abc'))).toMatchObject({ kind: 'transient', code: 'invalid_response' });
    expect(await providerError(replicate.submit(video()))).toMatchObject({ kind: 'transient', code: 'invalid_response' });
    // {"id"} without a status is not a readable prediction.
    expect(await providerError(replicate.status('p1'))).toMatchObject({ kind: 'transient', code: 'invalid_response' });
  });

  it('refuses a download that answers 404 (permanent) or 502 (transient), without sending the token', async () => {
    let authorization: string | undefined = 'unset';
    const server = await rawServer((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(req.url === '/gone' ? 404 : 502).end();
    });
    const replicate = createReplicateProvider({ baseUrl: server.url, apiToken: 'r8_secret', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await providerError(replicate.download(`${server.url}/gone`))).toMatchObject({ kind: 'permanent', code: '404' });
    expect(authorization).toBeUndefined();
    expect(await providerError(replicate.download(`${server.url}/flaky`))).toMatchObject({ kind: 'transient', code: '502' });
  });
});

describe('Replicate simulator', () => {
  /** Creates `count` predictions, lets them settle, and returns what GET says of each, in order. */
  async function outcomes(seed: number, count: number) {
    const sim = await simulator({ seed, durationMs: [20, 120], failRate: 0.3, hangRate: 0.1, abortRate: 0.2 });
    const replicate = createReplicateProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await replicate.submit(video(`t${i}`))).providerTaskId);
    await sleep(200);
    return Promise.all(
      ids.map(async (id) => {
        const prediction = (await (await fetch(`${sim.url}/v1/predictions/${id}`)).json()) as Record<string, unknown>;
        const predictTime = (prediction.metrics as { predict_time?: number }).predict_time;
        return `${String(prediction.status)}:${String(prediction.error)}:${String(predictTime)}`;
      }),
    );
  }

  it('gives the same statuses, errors and durations for the same seed and submission order', async () => {
    const [first, second, other] = await Promise.all([outcomes(42, 24), outcomes(42, 24), outcomes(43, 24)]);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(new Set(first.map((o) => o.split(':')[0]))).toEqual(new Set(['succeeded', 'failed', 'aborted', 'processing']));
  });

  it('validates fault updates and exposes stats and finish over HTTP', async () => {
    const sim = await simulator({ hangRate: 1, apiToken: 'r8_x', webhookSecret: 'whsec_c2VjcmV0' });
    const bad = await fetch(`${sim.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ failRate: 0.6, abortRate: 0.6 }), headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'failRate + hangRate + abortRate must not exceed 1' });
    const ok = await fetch(`${sim.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ resultBytes: 1234 }), headers: { 'content-type': 'application/json' } });
    expect(await ok.json()).toMatchObject({ resultBytes: 1234, apiToken: 'set', webhookSecret: 'set' });
    expect(() => sim.setFaults({ webhookSecret: 'plain' })).toThrow(/webhookSecret/);

    const replicate = createReplicateProvider({ baseUrl: sim.url, apiToken: 'r8_x', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const { providerTaskId } = await replicate.submit(video());
    const finish = (outcome: string) =>
      fetch(`${sim.url}/sim/predictions/${providerTaskId}/finish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome }),
      });
    expect((await finish('exploded')).status).toBe(400);
    expect(await (await finish('failed')).json()).toEqual({ id: providerTaskId, status: 'failed' });
    // Terminal is terminal: a second finish changes nothing.
    await finish('succeeded');
    expect(await replicate.status(providerTaskId)).toMatchObject({ state: 'fail' });
    const stats = await waitFor('the simulator to count the failed prediction', async () => {
      const s = (await (await fetch(`${sim.url}/sim/stats`)).json()) as { predictions: Record<string, number> };
      return s.predictions.failed === 1 && s;
    });
    expect(stats).toMatchObject({ submissions: 1, predictions: { failed: 1, processing: 0, starting: 0 } });
  });
});
