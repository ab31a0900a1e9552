import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createKieProvider, ProviderError, verifyKieCallback } from '../../src/providers/index.js';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.js';
import { waitFor } from '../helpers/net.js';
import { startReceiver } from '../helpers/receiver.js';
import { sleep, videoRequest, type TestServer } from './helpers.js';

const running: Array<RunningSimulator | TestServer> = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function setup(options: Parameters<typeof startSimulator>[0], failFirst = 0) {
  const receiver = await startReceiver();
  receiver.answerNext(failFirst, 500);
  const sim = await startSimulator({ seed: 3, durationMs: [30, 60], ...options });
  running.push(receiver, sim);
  const kie = createKieProvider({ baseUrl: sim.url, downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
  const submit = (taskId: string) =>
    kie.submit({ ...videoRequest(taskId), callbackUrl: `${receiver.url}/api/webhooks/kie?task=${taskId}` });
  return { receiver, sim, kie, submit };
}

describe('simulator callbacks', () => {
  it('POSTs the recordInfo envelope to the callBackUrl with a valid KIE HMAC signature', async () => {
    const { receiver, sim, kie, submit } = await setup({ callbackHmacKey: 'hmac-secret' });
    const { providerTaskId } = await submit('ours-1');
    const callback = await waitFor('the callback', () => receiver.received[0]);

    expect(callback.path).toBe('/api/webhooks/kie?task=ours-1');
    const timestamp = String(callback.headers['x-webhook-timestamp']);
    const signature = String(callback.headers['x-webhook-signature']);
    // Computed here from KIE's documented rule, not with the code under test.
    const expected = createHmac('sha256', 'hmac-secret').update(`${providerTaskId}.${timestamp}`).digest('base64');
    expect(signature).toBe(expected);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(verifyKieCallback({ providerTaskId, timestamp, signature, key: 'hmac-secret' })).toBe(true);
    expect(verifyKieCallback({ providerTaskId, timestamp, signature, key: 'other-key' })).toBe(false);

    const event = kie.parseCallback(callback.body, { task: 'ours-1' });
    expect(event).toMatchObject({ taskId: 'ours-1', providerTaskId, status: { state: 'success' } });
    // The receiver sees the body before the simulator sees the 200, so the count may lag a moment.
    await waitFor('the simulator to count the callback sent', () => sim.stats().callbacksSent === 1);
    expect(sim.stats()).toMatchObject({ callbacksLost: 0, callbacksFailed: 0 });
  });

  it('sends no signature headers when no HMAC key is configured', async () => {
    const { receiver, submit } = await setup({});
    await submit('ours-2');
    const callback = await waitFor('the callback', () => receiver.received[0]);
    expect(callback.headers['x-webhook-signature']).toBeUndefined();
  });

  it('never sends the callback of a lost-callback task, though the task still finishes', async () => {
    const { receiver, sim, kie, submit } = await setup({ lostCallbackRate: 1 });
    const { providerTaskId } = await submit('ours-3');
    await waitFor('the task to succeed', async () => (await kie.status(providerTaskId)).state === 'success');
    await sleep(150);
    expect(receiver.requests).toHaveLength(0);
    expect(sim.stats()).toMatchObject({ callbacksSent: 0, callbacksLost: 1 });
  });

  it('retries a failed delivery and counts a delivery given up on', async () => {
    const retried = await setup({}, 2);
    await retried.submit('ours-4');
    await waitFor('the retried callback to count as sent', () => retried.sim.stats().callbacksSent === 1);
    expect(retried.receiver.requests).toHaveLength(3);
    expect(retried.sim.stats().callbacksFailed).toBe(0);

    const hopeless = await setup({}, 100);
    await hopeless.submit('ours-5');
    await waitFor('the simulator to give up on the callback', () => hopeless.sim.stats().callbacksFailed === 1);
    expect(hopeless.receiver.requests).toHaveLength(4);
  });

  it('fires the callback when a task is forced to finish', async () => {
    const { receiver, sim, kie, submit } = await setup({ hangRate: 1 });
    const { providerTaskId } = await submit('ours-6');
    await sleep(120);
    expect(receiver.received).toHaveLength(0);
    sim.finish(providerTaskId, 'fail');
    const callback = await waitFor('the callback', () => receiver.received[0]);
    expect(kie.parseCallback(callback.body, { task: 'ours-6' }).status).toMatchObject({ state: 'fail' });
  });
});

describe('parseCallback', () => {
  const kie = createKieProvider({ baseUrl: 'http://127.0.0.1:1', downloads: { allowedHosts: ['127.0.0.1'], maxBytes: 2 ** 31 } });
  const success = { state: 'success', resultJson: '{"resultUrls":["https://cdn.example/a.mp4"]}' };

  it('takes our task id from the query and the provider task id from data.taskId', () => {
    const event = kie.parseCallback({ code: 200, msg: 'success', data: { taskId: 'p1', ...success } }, { task: 'ours' });
    expect(event).toEqual({
      taskId: 'ours',
      providerTaskId: 'p1',
      status: { state: 'success', resultUrls: ['https://cdn.example/a.mp4'], completedAt: undefined },
    });
  });

  it('accepts task_id in the data or at the top of the body', () => {
    expect(kie.parseCallback({ code: 200, data: { task_id: 'p2', ...success } }, {}).providerTaskId).toBe('p2');
    expect(kie.parseCallback({ taskId: 'p3', data: success }, {}).providerTaskId).toBe('p3');
    expect(kie.parseCallback({ task_id: 'p4', data: success }, {}).taskId).toBeUndefined();
  });

  it('reads a failure callback, with or without a record', () => {
    const withRecord = kie.parseCallback(
      { code: 200, data: { taskId: 'p5', state: 'fail', failCode: '500', failMsg: 'Internal error' } },
      { task: 'ours' },
    );
    expect(withRecord.status).toMatchObject({ state: 'fail', code: '500', transient: true });
    const envelopeOnly = kie.parseCallback({ code: 501, msg: 'Generation failed', data: { taskId: 'p6' } }, {});
    expect(envelopeOnly.status).toMatchObject({ state: 'fail', code: '501', message: 'Generation failed', transient: false });
  });

  it('refuses bodies that are not KIE callbacks with a permanent 400', () => {
    for (const body of [null, 'text', [], { data: { state: 'success' } }, { code: 200, data: { taskId: 'p7' } }]) {
      let thrown: unknown;
      try {
        kie.parseCallback(body, { task: 'ours' });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ProviderError);
      expect(thrown).toMatchObject({ kind: 'permanent', code: '400' });
    }
  });
});
