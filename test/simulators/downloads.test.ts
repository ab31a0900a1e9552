import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.js';
import { createTask, digest, getJson, kieSim, recordInfo, replicateSim, setFaults } from './helpers.js';

/** Submits a task, waits for success, and returns its one result URL. */
async function resultUrlOf(sim: { url: string }, settleTaskId = 'dl-1'): Promise<string> {
  const providerTaskId = (await createTask(sim, settleTaskId)).data!.taskId;
  const { data } = await waitFor('success', async () => {
    const record = await recordInfo(sim, providerTaskId);
    return record.data.state === 'success' ? record : undefined;
  }, 5000, 20);
  return JSON.parse(data.resultJson).resultUrls[0];
}

async function download(url: string): Promise<{ bytes: number; hash: string; contentLength: string | null }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return { ...(await digest(response.body!)), contentLength: response.headers.get('content-length') };
}

describe('result downloads', () => {
  it('throttles a result to downloadBytesPerSecond, the same bytes as at full speed', async () => {
    const sim = await kieSim({ resultBytes: 300_000 });
    const url = await resultUrlOf(sim);
    const fast = await download(url);
    expect((await setFaults(sim, { downloadBytesPerSecond: 100_000 })).status).toBe(200);
    const startedAt = Date.now();
    const slow = await download(url);
    // 300 KB at 100 KB/s: the last chunk is due after 2.9 s.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2500);
    expect(slow).toEqual(fast);
    expect(slow).toMatchObject({ bytes: 300_000, contentLength: '300000' });
    expect(sim.log().downloadsPerProviderTask).toEqual({ [url.split('/').at(-2)!]: 2 });
  });

  it('serves a result of resultBytes set at runtime, generated while streaming', async () => {
    const sim = await kieSim();
    expect((await setFaults(sim, { resultBytes: 20 * 1024 * 1024 + 7 })).status).toBe(200);
    expect(await download(await resultUrlOf(sim))).toMatchObject({ bytes: 20 * 1024 * 1024 + 7 });
  });

  it('names another host in result URLs (resultHost), still served there', async () => {
    const sim = await kieSim({ resultHost: 'localhost' });
    const url = await resultUrlOf(sim, 'named');
    expect(url).toMatch(new RegExp(`^http://localhost:${sim.port}/files/[0-9a-f]{32}/0\\.mp4$`));
    expect((await download(url)).bytes).toBeGreaterThan(0);

    // Another loopback address the simulator does not listen on until the knob names it.
    expect((await setFaults(sim, { resultHost: '127.0.0.2' })).status).toBe(200);
    const other = await resultUrlOf(sim, 'addressed');
    expect(other).toMatch(new RegExp(`^http://127\\.0\\.0\\.2:${sim.port}/files/`));
    expect((await download(other)).bytes).toBeGreaterThan(0);
  });

  it('gives a hostile result URL verbatim (resultUrl), in recordInfo and in Replicate outputs', async () => {
    const hostile = 'http://127.0.0.1:5432/internal/admin?dump=1';
    const kie = await kieSim({ resultUrl: hostile });
    expect(await resultUrlOf(kie)).toBe(hostile);

    const replicate = await replicateSim();
    expect((await setFaults(replicate, { resultUrl: hostile })).status).toBe(200);
    const created = await (await fetch(`${replicate.url}/v1/models/minimax/video-01/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: { prompt: 'x' } }),
    })).json();
    const done = await waitFor('success', async () => {
      const prediction = await getJson(`${replicate.url}/v1/predictions/${created.id}`);
      return prediction.status === 'succeeded' ? prediction : undefined;
    }, 5000, 20);
    expect(done.output).toBe(hostile);
  });

  it('refuses a result host or URL that is not one', async () => {
    const sim = await kieSim();
    expect(await setFaults(sim, { resultHost: 'http://evil' })).toEqual({ status: 400, body: { error: 'resultHost: must be a host name or an IP address' } });
    expect(await setFaults(sim, { resultUrl: 'not a url' })).toEqual({ status: 400, body: { error: 'resultUrl: must be a URL' } });
    expect(await setFaults(sim, { downloadBytesPerSecond: 0 })).toMatchObject({ status: 400 });
    // An address of another machine (TEST-NET-1) cannot be listened on here; the knob stays as it was.
    const elsewhere = await setFaults(sim, { resultHost: '192.0.2.1' });
    expect(elsewhere).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^resultHost: cannot serve files on 192\.0\.2\.1:\d+ \(EADDRNOTAVAIL\)$/) } });
    expect((await setFaults(sim, {})).body.resultHost).toBeNull();
  });
});
