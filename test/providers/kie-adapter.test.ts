import { afterEach, describe, expect, it } from 'vitest';
import { createKieProvider } from '../../src/providers/index.js';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.js';
import { closedPort, providerError, startRawServer, terminalStatus, type TestServer, videoRequest } from './helpers.js';

const running: Array<RunningSimulator | TestServer> = [];

async function simulator(options: Parameters<typeof startSimulator>[0] = {}) {
  const sim = await startSimulator({ seed: 7, durationMs: [30, 60], ...options });
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

describe('KIE adapter against the simulator', () => {
  it('submits, reports progress while running, then success with the result URLs', async () => {
    // Long enough that the first status call finds it running on a loaded machine (it failed at 150 ms with both cores busy).
    const sim = await simulator({ durationMs: [2_000, 2_000], apiKey: 'sk-test' });
    const kie = createKieProvider({ baseUrl: sim.url, apiKey: 'sk-test', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });

    const { providerTaskId } = await kie.submit(videoRequest());
    expect(providerTaskId).toMatch(/^[0-9a-f]{32}$/);
    const early = await kie.status(providerTaskId);
    expect(early).toMatchObject({ state: 'running' });
    expect(early.state === 'running' && early.notFound).toBeFalsy();

    const done = await terminalStatus(kie, providerTaskId);
    expect(done.state).toBe('success');
    if (done.state !== 'success') return;
    expect(done.resultUrls).toEqual([`${sim.url}/files/${providerTaskId}/0.mp4`]);
    expect(done.completedAt).toBeInstanceOf(Date);
  });

  it('reports a failed task with its code, transient only for provider-side failures', async () => {
    const sim = await simulator({ failRate: 1 });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const failures = [];
    for (let i = 0; i < 8; i++) {
      const { providerTaskId } = await kie.submit(videoRequest(`t${i}`));
      failures.push(await terminalStatus(kie, providerTaskId));
    }
    const seen = new Map(failures.map((f) => [f.state === 'fail' ? f.code : f.state, f.state === 'fail' && f.transient]));
    // Seed 7 draws both of the simulator's failure kinds within eight tasks.
    expect(Object.fromEntries(seen)).toEqual({ '500': true, '400': false });
  });

  it('maps injected 500 / 455 envelope errors to transient ProviderErrors on createTask and recordInfo', async () => {
    const sim = await simulator({ transientErrorRate: 1 });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const codes = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const err = await providerError(i % 2 ? kie.submit(videoRequest()) : kie.status('0123'));
      expect(err.kind).toBe('transient');
      codes.add(err.code);
    }
    expect([...codes].sort()).toEqual(['455', '500']);
    expect(sim.stats().transientErrors).toBe(12);
  });

  it('treats a wrong API key as the operator\'s account problem (401, transient, kept alive) and never echoes the key', async () => {
    const sim = await simulator({ apiKey: 'sk-right' });
    const kie = createKieProvider({ baseUrl: sim.url, apiKey: 'sk-wrong-secret', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const err = await providerError(kie.submit(videoRequest()));
    expect(err).toMatchObject({ kind: 'transient', code: '401', account: true });
    expect(`${err.message} ${err.stack}`).not.toContain('sk-wrong-secret');
    expect(await providerError(kie.status('abc'))).toMatchObject({ kind: 'transient', code: '401', account: true });
  });

  it('treats a 422 on create (unknown model, missing prompt) as permanent', async () => {
    const sim = await simulator();
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const unknownModel = await providerError(kie.submit({ ...videoRequest(), model: 'no-such-model' }));
    expect(unknownModel).toMatchObject({ kind: 'permanent', code: '422' });
    expect(unknownModel.message).toContain('model not supported');
    const noPrompt = await providerError(kie.submit({ ...videoRequest(), input: { aspect_ratio: '16:9' } }));
    expect(noPrompt).toMatchObject({ kind: 'permanent', code: '422' });
    expect(noPrompt.message).toContain('input.prompt');
    expect(sim.stats().submissions).toBe(0);
  });

  it('rate-limits the 21st create in the window as transient 429 with a Retry-After, then recovers', async () => {
    const sim = await simulator({ rateLimit: { max: 20, windowMs: 400 } });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    for (let i = 0; i < 20; i++) await kie.submit(videoRequest(`t${i}`));
    const err = await providerError(kie.submit(videoRequest('t20')));
    expect(err).toMatchObject({ kind: 'transient', code: '429' });
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(sim.stats()).toMatchObject({ submissions: 20, rejectedRateLimited: 1 });
    await new Promise((resolve) => setTimeout(resolve, 450));
    await expect(kie.submit(videoRequest('t21'))).resolves.toHaveProperty('providerTaskId');
  });

  it('reports a task KIE has not indexed ("recordInfo is null") as running and not found', async () => {
    const sim = await simulator();
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await kie.status('ffffffffffffffffffffffffffffffff')).toEqual({ state: 'running', notFound: true });
  });
});

describe('KIE adapter transport failures', () => {
  it('reports an unreachable base URL as transient "network"', async () => {
    const kie = createKieProvider({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const err = await providerError(kie.submit(videoRequest()));
    expect(err).toMatchObject({ kind: 'transient', code: 'network' });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('reports a provider that never answers as transient "timeout"', async () => {
    const silent = await rawServer(() => undefined);
    const kie = createKieProvider({ baseUrl: silent.url, requestTimeoutMs: 150, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await providerError(kie.status('abc'))).toMatchObject({ kind: 'transient', code: 'timeout' });
  });

  it('maps real HTTP statuses: 503 transient, 404 permanent, 429 with its Retry-After', async () => {
    const statuses = [503, 404, 429];
    const server = await rawServer((_req, res) => {
      const status = statuses.shift()!;
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '3' }).end('{"message":"nope"}');
    });
    const kie = createKieProvider({ baseUrl: server.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await providerError(kie.submit(videoRequest()))).toMatchObject({ kind: 'transient', code: '503' });
    expect(await providerError(kie.submit(videoRequest()))).toMatchObject({ kind: 'permanent', code: '404' });
    expect(await providerError(kie.submit(videoRequest()))).toMatchObject({ kind: 'transient', code: '429', retryAfterMs: 3000 });
  });

  it('reads the message from `message` as well as `msg`, and sends the Bearer key', async () => {
    let authorization: string | undefined;
    const server = await rawServer((req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":402,"message":"Credits insufficient"}');
    });
    const kie = createKieProvider({ baseUrl: server.url, apiKey: 'sk-abc', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const err = await providerError(kie.submit(videoRequest()));
    expect(err).toMatchObject({ kind: 'transient', code: '402', account: true });
    expect(err.message).toContain('Credits insufficient');
    expect(authorization).toBe('Bearer sk-abc');
  });

  it('treats a 200 that is not a KIE envelope as transient', async () => {
    const server = await rawServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>gateway</html>'));
    const kie = createKieProvider({ baseUrl: server.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await providerError(kie.status('abc'))).toMatchObject({ kind: 'transient', code: 'invalid_response' });
  });

  it('fails a download that stalls mid-body with a transient timeout on the stream', async () => {
    const server = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '1000' });
      res.write(Buffer.alloc(100));
    });
    const kie = createKieProvider({ baseUrl: server.url, downloadTimeoutMs: 200, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const download = await kie.download(`${server.url}/slow.mp4`);
    expect(download.contentLength).toBe(1000);
    const reading = (async () => {
      for await (const chunk of download.body) void chunk;
    })();
    expect(await providerError(reading)).toMatchObject({ kind: 'transient', code: 'timeout' });
  });

  it('refuses a download that answers 404 (permanent) or 502 (transient)', async () => {
    const server = await rawServer((req, res) => res.writeHead(req.url === '/gone' ? 404 : 502).end());
    const kie = createKieProvider({ baseUrl: server.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    expect(await providerError(kie.download(`${server.url}/gone`))).toMatchObject({ kind: 'permanent', code: '404' });
    expect(await providerError(kie.download(`${server.url}/flaky`))).toMatchObject({ kind: 'transient', code: '502' });
  });
});
