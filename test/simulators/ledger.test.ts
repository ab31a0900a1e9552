import { describe, expect, it } from 'vitest';
import { mostCallsInWindow, providerTasksPerSettleTask, type SimLog } from '../../src/simulators/index.js';
import { waitFor } from '../helpers/net.js';
import { createTask, getJson, kieSim, recordInfo, setFaults } from './helpers.js';

describe('invariant counters at the simulator', () => {
  it('logs every createTask call with its time, Settle task, provider task and answer, over GET /sim/log', async () => {
    const sim = await kieSim();
    const before = Date.now();
    const first = (await createTask(sim, 'a')).data!.taskId;
    const second = (await createTask(sim, 'a')).data!.taskId;
    await setFaults(sim, { accountError: 505 });
    await createTask(sim, 'b');

    const log = (await getJson(`${sim.url}/sim/log`)) as SimLog;
    expect(log.calls).toEqual([
      { at: expect.any(Number), settleTaskId: 'a', providerTaskId: first, code: 200, answer: 'sent' },
      { at: expect.any(Number), settleTaskId: 'a', providerTaskId: second, code: 200, answer: 'sent' },
      { at: expect.any(Number), settleTaskId: 'b', providerTaskId: null, code: 505, answer: 'sent' },
    ]);
    expect(log.calls[0]!.at).toBeGreaterThanOrEqual(before);
    expect(log.droppedCalls).toBe(0);
    expect(log.settleTasks).toEqual({ a: [{ providerTaskId: first, at: log.calls[0]!.at }, { providerTaskId: second, at: log.calls[1]!.at }] });
    expect(providerTasksPerSettleTask(log)).toEqual({ a: 2 });
    expect(sim.stats()).toMatchObject({ settleTasks: 1, mostProviderTasksPerSettleTask: 2, createCalls: { '200': 2, '505': 1 } });
  });

  it('names no Settle task for a call whose callBackUrl has none', async () => {
    const sim = await kieSim();
    await fetch(`${sim.url}/api/v1/jobs/createTask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sora-2-text-to-video', input: { prompt: 'x' } }),
    });
    expect(sim.log().calls[0]).toMatchObject({ settleTaskId: null, code: 200 });
    expect(sim.stats()).toMatchObject({ settleTasks: 0, mostProviderTasksPerSettleTask: 0 });
  });

  it('counts downloads per provider task', async () => {
    const sim = await kieSim({ resultBytes: 100 });
    const id = (await createTask(sim, 'd')).data!.taskId;
    const url = await waitFor('success', async () => {
      const { data } = await recordInfo(sim, id);
      return data.state === 'success' ? (JSON.parse(data.resultJson).resultUrls[0] as string) : undefined;
    }, 5000, 20);
    for (let i = 0; i < 3; i++) await (await fetch(url)).arrayBuffer();
    expect(sim.log().downloadsPerProviderTask).toEqual({ [id]: 3 });
    expect(sim.stats()).toMatchObject({ downloads: 3, mostDownloadsPerProviderTask: 3 });
  });

  it('finds the busiest window of createTask calls, over HTTP and from the handle', async () => {
    const sim = await kieSim();
    for (let i = 0; i < 5; i++) await createTask(sim, `w${i}`);
    const answer = await getJson(`${sim.url}/sim/log?windowMs=60000`);
    expect(answer.mostCreateCallsInWindow).toEqual({ windowMs: 60000, calls: 5 });
    expect(sim.mostCreateCallsInWindow(60_000)).toBe(5);
    expect((await fetch(`${sim.url}/sim/log?windowMs=soon`)).status).toBe(400);
  });

  it('computes the busiest window from call times', () => {
    expect(mostCallsInWindow([], 1000)).toBe(0);
    expect(mostCallsInWindow([0, 100, 999, 1000, 1500, 1600, 1700], 1000)).toBe(5);
    expect(mostCallsInWindow([5000, 0, 10, 20], 100)).toBe(3);
    expect(mostCallsInWindow([0, 1000, 2000], 1000)).toBe(1);
  });
});
