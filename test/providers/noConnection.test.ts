import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKieProvider, createReplicateProvider, type ProviderError } from '../../src/providers/index.js';
import { providerError, startSilentHost, type TestServer, videoRequest } from './helpers.js';

/** How long a call took to fail, and how. */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; err: ProviderError }> {
  const started = Date.now();
  const err = await providerError(call());
  return { ms: Date.now() - started, err };
}

// undici gives a call its abort only once it has a connection. A deadline that passed before was kept until the
// connection came, so a provider host that drops SYNs held each call for undici's own connect timeout (10 s) whatever
// its deadline, and then failed it in doubt: a createTask that never left made its task wait DISPATCH_DOUBT_MS.
describe('a provider host that never completes a connection', () => {
  let host: TestServer;
  beforeAll(async () => {
    host = await startSilentHost();
  });
  afterAll(() => host.close());

  const downloads = { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 };

  it('KIE: createTask fails at its deadline, not in doubt (nothing was sent)', async () => {
    const kie = createKieProvider({ baseUrl: host.url, apiKey: 'sk-test', requestTimeoutMs: 300, downloads });
    const { ms, err } = await timed(() => kie.submit(videoRequest()));
    expect(err).toMatchObject({ kind: 'transient', code: 'network', inDoubt: false });
    expect(err.message).toContain('could not connect within its deadline');
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(5_000);
  });

  it('Replicate: a status read fails at its deadline', async () => {
    const replicate = createReplicateProvider({ baseUrl: host.url, apiToken: 'r8_test', requestTimeoutMs: 300, downloads });
    const { ms, err } = await timed(() => replicate.status('abc'));
    expect(err).toMatchObject({ kind: 'transient', code: 'network', inDoubt: false });
    expect(ms).toBeLessThan(5_000);
  });

  it('a download fails at its deadline, and at once when its caller aborts it before a connection', async () => {
    const kie = createKieProvider({ baseUrl: host.url, apiKey: 'sk-test', downloadTimeoutMs: 300, downloads });
    const deadline = await timed(() => kie.download(`${host.url}/result.mp4`));
    expect(deadline.err.kind).toBe('transient');
    expect(deadline.ms).toBeLessThan(5_000);

    const slow = createKieProvider({ baseUrl: host.url, apiKey: 'sk-test', downloadTimeoutMs: 60_000, downloads });
    const aborter = new AbortController();
    setTimeout(() => aborter.abort(new Error('lease lost')), 200);
    const aborted = await timed(() => slow.download(`${host.url}/result.mp4`, { signal: aborter.signal }));
    expect(aborted.err.kind).toBe('transient');
    expect(aborted.ms).toBeLessThan(5_000);
  });
});
