import { describe, expect, it } from 'vitest';
import { createKieProvider } from '../../src/providers/index.js';
import { startSimulator } from '../../src/simulators/index.js';
import { waitFor } from '../helpers/net.js';
import { sleep, terminalStatus, videoRequest } from '../providers/helpers.js';
import { createTask, digest, kieSim, recordInfo } from './helpers.js';

/** Submits `count` tasks, waits for them to settle, and returns what recordInfo says of each, in order. */
async function outcomes(seed: number, count: number) {
  const sim = await kieSim({ seed, durationMs: [20, 120], failRate: 0.3, hangRate: 0.2 });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await createTask(sim, `t${i}`)).data!.taskId);
  await sleep(200);
  const records = await Promise.all(ids.map((id) => recordInfo(sim, id)));
  return records.map(({ data }) => `${data.state}:${data.failCode}:${data.completeTime === null ? 'running' : data.completeTime - data.createTime}`);
}

describe('simulator', () => {
  it('gives the same outcomes, failure codes and durations for the same seed and submission order', async () => {
    const [first, second, other] = await Promise.all([outcomes(42, 20), outcomes(42, 20), outcomes(43, 20)]);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    const states = new Set(first.map((o) => o.split(':')[0]));
    expect(states).toEqual(new Set(['success', 'fail', 'generating']));
  });

  it('serves a result file byte-identical across downloads, with the advertised type and length', async () => {
    const sim = await kieSim({ resultBytes: 300_000 });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const { providerTaskId } = await kie.submit({ ...videoRequest(), model: 'google/nano-banana' });
    const done = await terminalStatus(kie, providerTaskId);
    if (done.state !== 'success') throw new Error(`expected success, got ${done.state}`);
    const [url] = done.resultUrls;
    expect(url).toMatch(/\/0\.png$/);

    const first = await kie.download(url!);
    const second = await kie.download(url!);
    expect(first).toMatchObject({ contentType: 'image/png', contentLength: 300_000 });
    const [a, b] = [await digest(first.body), await digest(second.body)];
    expect(a).toEqual(b);
    expect(a.bytes).toBe(300_000);
    expect(sim.stats().downloads).toBe(2);
  });

  it('serves no file before the task succeeded', async () => {
    const sim = await kieSim({ durationMs: [5000, 5000] });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const { providerTaskId } = await kie.submit(videoRequest());
    const response = await fetch(`${sim.url}/files/${providerTaskId}/0.mp4`);
    expect(response.status).toBe(404);
  });

  it('streams a 200 MB result without holding it in memory', async () => {
    const size = 200 * 1024 * 1024;
    const sim = await kieSim({ resultBytes: size });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const { providerTaskId } = await kie.submit(videoRequest());
    sim.finish(providerTaskId, 'success');
    const done = await kie.status(providerTaskId);
    if (done.state !== 'success') throw new Error(`expected success, got ${done.state}`);

    // What the process holds in JavaScript and in buffers, where a body read whole would show as 200 MB. RSS also
    // counts memory the allocator has freed but not yet returned, which swings with the machine's load.
    const held = () => {
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    const before = held();
    let peak = before;
    const download = await kie.download(done.resultUrls[0]!);
    expect(download.contentLength).toBe(size);
    let bytes = 0;
    for await (const chunk of download.body) {
      bytes += (chunk as Buffer).length;
      peak = Math.max(peak, held());
    }
    expect(bytes).toBe(size);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('delays the file body by downloadDelayMs', async () => {
    const sim = await kieSim({ downloadDelayMs: 300, resultBytes: 1000 });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const { providerTaskId } = await kie.submit(videoRequest());
    sim.finish(providerTaskId, 'success');
    const started = Date.now();
    const download = await kie.download(`${sim.url}/files/${providerTaskId}/0.mp4`);
    await digest(download.body);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('moves a task through waiting, queuing and generating with rising progress', async () => {
    // Long enough that a slow poll on a busy machine still sees each stage; polling stops at 75 % of the duration.
    const durationMs = 6000;
    const sim = await kieSim({ durationMs: [durationMs, durationMs] });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const submittedAt = Date.now();
    const { providerTaskId } = await kie.submit(videoRequest());
    const states: string[] = [];
    let lastProgress = -1;
    while (Date.now() - submittedAt < durationMs * 0.75) {
      const response = await fetch(`${sim.url}/api/v1/jobs/recordInfo?taskId=${providerTaskId}`);
      const { data } = (await response.json()) as { data: { state: string; progress: number } };
      if (states.at(-1) !== data.state) states.push(data.state);
      expect(data.progress).toBeGreaterThanOrEqual(lastProgress);
      lastProgress = data.progress;
      await sleep(40);
    }
    expect(states).toEqual(['waiting', 'queuing', 'generating']);
    expect(lastProgress).toBeGreaterThan(50);
  });

  it('keeps a hanging task generating until it is forced to finish', async () => {
    const sim = await kieSim({ hangRate: 1 });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const { providerTaskId } = await kie.submit(videoRequest());
    await sleep(150);
    expect(await kie.status(providerTaskId)).toMatchObject({ state: 'running' });
    expect(sim.stats().tasks.generating).toBe(1);
    sim.finish(providerTaskId, 'fail');
    expect(await kie.status(providerTaskId)).toMatchObject({ state: 'fail' });
    expect(sim.stats().tasks).toEqual({ waiting: 0, queuing: 0, generating: 0, success: 0, fail: 1 });
  });

  it('can be driven over HTTP: stats, faults and forced outcomes', async () => {
    const sim = await kieSim({ hangRate: 1 });
    const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
    const { providerTaskId } = await kie.submit(videoRequest());

    const post = (path: string, body: unknown) =>
      fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/sim/faults', { failRate: 2 })).status).toBe(400);
    expect((await post('/sim/faults', { transientErrorRate: 1 })).status).toBe(200);
    await expect(kie.status(providerTaskId)).rejects.toMatchObject({ kind: 'transient' });
    sim.setFaults({ transientErrorRate: 0 });

    expect((await post(`/sim/tasks/${providerTaskId}/finish`, { outcome: 'maybe' })).status).toBe(400);
    expect((await post('/sim/tasks/unknown/finish', { outcome: 'success' })).status).toBe(404);
    const finished = await post(`/sim/tasks/${providerTaskId}/finish`, { outcome: 'success' });
    expect(await finished.json()).toEqual({ taskId: providerTaskId, state: 'success' });
    await waitFor('the task to succeed', async () => (await kie.status(providerTaskId)).state === 'success');

    const stats = (await (await fetch(`${sim.url}/sim/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ submissions: 1, transientErrors: 1, tasks: { success: 1 } });
  });

  it('answers the credit balance in the KIE envelope', async () => {
    const sim = await kieSim({ apiKey: 'k' });
    const denied = await (await fetch(`${sim.url}/api/v1/chat/credit`)).json();
    expect(denied).toMatchObject({ code: 401 });
    const allowed = await (await fetch(`${sim.url}/api/v1/chat/credit`, { headers: { authorization: 'Bearer k' } })).json();
    expect(allowed).toMatchObject({ code: 200, msg: 'success', data: expect.any(Number) });
  });

  it('refuses impossible knobs at start and at runtime', async () => {
    await expect(startSimulator({ failRate: 0.7, hangRate: 0.5 })).rejects.toThrow('failRate + hangRate');
    await expect(startSimulator({ durationMs: [500, 100] })).rejects.toThrow('durationMs');
    const sim = await kieSim();
    expect(() => sim.setFaults({ lostCallbackRate: -1 })).toThrow('lostCallbackRate');
    expect(() => sim.finish('nope', 'success')).toThrow('Unknown simulator task');
  });
});
