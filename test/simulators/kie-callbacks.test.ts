import { describe, expect, it } from 'vitest';
import { createKieProvider } from '../../src/providers/index.js';
import { waitFor } from '../helpers/net.js';
import { startReceiver } from '../helpers/receiver.js';
import { closeAfter, createTaskBody, kieSim, postJson, recordInfo } from './helpers.js';

/** A simulator whose callbacks go to a local receiver; tasks take 1.2 s so costTime is a whole second. */
async function setup(options: Parameters<typeof kieSim>[0] = {}) {
  const receiver = closeAfter(await startReceiver());
  const sim = await kieSim({ durationMs: [1200, 1200], accountCredits: 1000, creditsPerTask: 25, ...options });
  const submit = async (settleTaskId: string) => {
    const body = createTaskBody(settleTaskId, `${receiver.url}/api/webhooks/kie`);
    return (await postJson(`${sim.url}/api/v1/jobs/createTask`, body)).body.data.taskId as string;
  };
  const callback = () => waitFor('the callback', async () => receiver.received[0], 10_000, 20);
  return { receiver, sim, submit, callback };
}

describe('KIE callbacks, as KIE documents them', () => {
  it('sends a success as code 200 with the record, consumeCredits, remainedCredits and costTime in seconds', async () => {
    const { sim, submit, callback } = await setup();
    const providerTaskId = await submit('ok-1');
    const { path, body } = await callback();
    expect(path).toBe('/api/webhooks/kie?task=ok-1');
    expect(body).toMatchObject({
      code: 200,
      msg: 'Playground task completed successfully.',
      data: { taskId: providerTaskId, state: 'success', model: 'sora-2-text-to-video', consumeCredits: 25, remainedCredits: 975, costTime: 1 },
    });
    expect(body.data.completeTime - body.data.createTime).toBeGreaterThanOrEqual(1200);
    expect(JSON.parse(body.data.resultJson).resultUrls).toEqual([`${sim.url}/files/${providerTaskId}/0.mp4`]);
  });

  it('sends a failure as code 501 with msg, failCode and failMsg, and no credits consumed', async () => {
    const { submit, callback } = await setup({ failRate: 1 });
    const providerTaskId = await submit('bad-1');
    const { body } = await callback();
    expect(body).toMatchObject({
      code: 501,
      msg: 'Playground task failed.',
      data: { taskId: providerTaskId, state: 'fail', failCode: expect.any(String), failMsg: expect.any(String), consumeCredits: 0, remainedCredits: 1000, costTime: 1 },
    });
    // What Settle's adapter makes of it.
    const event = createKieProvider({ baseUrl: 'http://127.0.0.1:9' }).parseCallback(body, { task: 'bad-1' });
    expect(event).toMatchObject({ taskId: 'bad-1', providerTaskId, status: { state: 'fail' } });
  });

  it("echoes the createTask request in recordInfo's param, callBackUrl and our task id included", async () => {
    const { sim, submit } = await setup();
    const providerTaskId = await submit('echo-1');
    const { data } = await recordInfo(sim, providerTaskId);
    expect(typeof data.param).toBe('string');
    const param = JSON.parse(data.param);
    expect(param).toEqual(createTaskBody('echo-1', param.callBackUrl.split('?')[0]));
    expect(new URL(param.callBackUrl).searchParams.get('task')).toBe('echo-1');
  });
});
