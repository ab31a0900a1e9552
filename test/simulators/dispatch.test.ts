import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulators/index.js';
import { waitFor } from '../helpers/net.js';
import { createTask, createTaskBody, getJson, kieSim, postJson, recordInfo, replicateSim, setFaults } from './helpers.js';

/** A createTask whose client gives up after `timeoutMs`: resolves to the answer, or to the error that ended it. */
async function createTaskGivingUp(url: string, settleTaskId: string, timeoutMs: number) {
  return postJson(`${url}/api/v1/jobs/createTask`, createTaskBody(settleTaskId), { signal: AbortSignal.timeout(timeoutMs) }).then(
    (answer) => answer.body as { code: number },
    (err: Error) => err,
  );
}

describe('createTask answered late (createDelayMs)', () => {
  it('creates the task when the request arrives and answers only after the delay', async () => {
    const sim = await kieSim({ durationMs: [60_000, 60_000] });
    expect((await setFaults(sim, { createDelayMs: 1500 })).status).toBe(200);
    const startedAt = Date.now();
    let answeredAt: number | undefined;
    const answer = createTask(sim, 'late-1').then((body) => ((answeredAt = Date.now()), body));

    // The provider task exists, and is on its clock, while the client still waits for the answer.
    const log = await waitFor('the task to exist', async () => {
      const now = await getJson(`${sim.url}/sim/log`);
      return now.calls.length === 1 ? now : undefined;
    }, 5000, 20);
    expect(answeredAt).toBeUndefined();
    expect(log.calls[0]).toMatchObject({ settleTaskId: 'late-1', code: 200, answer: 'delayed' });
    const providerTaskId = log.calls[0].providerTaskId as string;
    expect((await recordInfo(sim, providerTaskId)).data).toMatchObject({ taskId: providerTaskId });

    expect(await answer).toMatchObject({ code: 200, data: { taskId: providerTaskId } });
    expect(answeredAt! - startedAt).toBeGreaterThanOrEqual(1450);
  });

  it('still makes the task when the client gives up before the answer', async () => {
    const sim = await kieSim({ createDelayMs: 2000 });
    const ended = await createTaskGivingUp(sim.url, 'late-2', 200);
    expect(ended).toBeInstanceOf(Error);
    expect((ended as Error).name).toBe('TimeoutError');
    const { settleTasks } = await getJson(`${sim.url}/sim/log`);
    const [{ providerTaskId }] = settleTasks['late-2'];
    await waitFor('the task to finish', async () => (await recordInfo(sim, providerTaskId)).data.state === 'success', 5000, 20);
  });
});

describe('createTask never answered (createHangRate)', () => {
  it('holds the connection open until the client gives up, and the task exists all the same', async () => {
    const sim = await kieSim();
    expect((await setFaults(sim, { createHangRate: 1 })).status).toBe(200);
    const startedAt = Date.now();
    const ended = await createTaskGivingUp(sim.url, 'held-1', 1200);
    // Our own timeout ended it, not the server closing the connection.
    expect((ended as Error).name).toBe('TimeoutError');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1150);
    const log = await getJson(`${sim.url}/sim/log`);
    expect(log.calls).toEqual([expect.objectContaining({ settleTaskId: 'held-1', code: 200, answer: 'withheld' })]);
    const providerTaskId = log.calls[0].providerTaskId;
    await waitFor('the task to finish', async () => (await recordInfo(sim, providerTaskId)).data.state === 'success', 5000, 20);
    expect(sim.stats()).toMatchObject({ submissions: 1, createCalls: { '200': 1 } });
  });

  it('drops held connections when it closes, without waiting for the clients', async () => {
    // Not closed after the test: closing it is the test.
    const sim = await startSimulator({ createHangRate: 1 });
    const pending = createTaskGivingUp(sim.url, 'held-2', 30_000);
    await waitFor('the call to arrive', async () => sim.log().calls.length === 1, 5000, 20);
    const closedAt = Date.now();
    await sim.close();
    const ended = await pending;
    expect(ended).toBeInstanceOf(Error);
    expect((ended as Error).name).not.toBe('TimeoutError');
    expect(Date.now() - closedAt).toBeLessThan(5000);
  });

  it('withholds the same submissions, in arrival order, for the same seed', async () => {
    const pattern = async (seed: number) => {
      const sim = await kieSim({ seed, createHangRate: 0.5 });
      await Promise.all(Array.from({ length: 16 }, (_, i) => createTaskGivingUp(sim.url, `s${i}`, 400)));
      return sim.log().calls.map((call) => call.answer);
    };
    const [first, again, other] = [await pattern(5), await pattern(5), await pattern(6)];
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set(['sent', 'withheld']));
  });

  it('applies to Replicate predictions too', async () => {
    const sim = await replicateSim({ createHangRate: 1 });
    const ended = await postJson(`${sim.url}/v1/models/minimax/video-01/predictions`, { input: { prompt: 'x' } }, { signal: AbortSignal.timeout(300) }).catch(
      (err: Error) => err,
    );
    expect((ended as Error).name).toBe('TimeoutError');
    expect(sim.log().calls).toEqual([expect.objectContaining({ code: 201, answer: 'withheld' })]);
  });
});

describe('transient errors forever after a first acceptance (transientAfterAccept)', () => {
  it('answers 500 then 455, alternately, to every later createTask for a Settle task that has a provider task', async () => {
    const sim = await kieSim();
    expect((await setFaults(sim, { transientAfterAccept: true })).status).toBe(200);
    expect(await createTask(sim, 'once')).toMatchObject({ code: 200 });
    const again = [];
    for (let i = 0; i < 4; i++) again.push((await createTask(sim, 'once')).code);
    expect(again).toEqual([500, 455, 500, 455]);
    expect(await createTask(sim, 'other')).toMatchObject({ code: 200 });
    expect(sim.stats()).toMatchObject({ submissions: 2, resubmissionsRefused: 4, createCalls: { '200': 2, '500': 2, '455': 2 } });
    expect(sim.log().settleTasks.once).toHaveLength(1);
  });

  it('accepts a resubmission when the knob is off', async () => {
    const sim = await kieSim();
    await createTask(sim, 'twice');
    expect(await createTask(sim, 'twice')).toMatchObject({ code: 200 });
    expect(sim.log().settleTasks.twice).toHaveLength(2);
  });

  it('refuses a Replicate resubmission for the same webhook task with 500 or 503', async () => {
    const sim = await replicateSim({ transientAfterAccept: true });
    const body = { input: { prompt: 'x' }, webhook: 'http://127.0.0.1:9/api/webhooks/replicate?task=r1' };
    const url = `${sim.url}/v1/models/minimax/video-01/predictions`;
    expect((await postJson(url, body)).status).toBe(201);
    expect([(await postJson(url, body)).status, (await postJson(url, body)).status]).toEqual([500, 503]);
  });
});
