import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.js';
import { createTask, getJson, kieSim, recordInfo, setFaults } from './helpers.js';

const credit = async (sim: { url: string }) => (await getJson(`${sim.url}/api/v1/chat/credit`)) as { code: number; data: number };

describe("the operator's KIE account", () => {
  it.each([
    [402, /Insufficient Credits/],
    [433, /Sub-key usage limit/],
    [505, /Feature Disabled/],
  ])('answers createTask with %i in the envelope while accountError says so, and creates nothing', async (code, msg) => {
    const sim = await kieSim();
    expect((await setFaults(sim, { accountError: code })).status).toBe(200);
    const refused = await createTask(sim, 'acct-1');
    expect(refused).toEqual({ code, msg: expect.stringMatching(msg), data: null });
    expect(sim.stats()).toMatchObject({ submissions: 0, createCalls: { [code]: 1 } });
    expect(sim.log().calls[0]).toMatchObject({ settleTaskId: 'acct-1', providerTaskId: null, code });

    expect((await setFaults(sim, { accountError: null })).status).toBe(200);
    expect(await createTask(sim, 'acct-1')).toMatchObject({ code: 200 });
  });

  it('refuses an account error code KIE does not have', async () => {
    const sim = await kieSim();
    const answer = await setFaults(sim, { accountError: 404 });
    expect(answer).toEqual({ status: 400, body: { error: 'accountError: must be one of 402, 433, 505' } });
  });

  it('shows the remaining credits, takes creditsPerTask for each accepted task, gives a failed task its credits back, and answers 402 when they run out', async () => {
    const sim = await kieSim({ accountCredits: 100, creditsPerTask: 30 });
    expect(await credit(sim)).toEqual({ code: 200, msg: 'success', data: 100 });
    await createTask(sim, 'c1');
    expect((await credit(sim)).data).toBe(70);

    await setFaults(sim, { failRate: 1 });
    const failing = (await createTask(sim, 'c2')).data!.taskId;
    expect((await credit(sim)).data).toBe(40);
    await waitFor('the task to fail', async () => (await recordInfo(sim, failing)).data.state === 'fail', 5000, 20);
    expect((await credit(sim)).data).toBe(70);

    await setFaults(sim, { failRate: 0 });
    await createTask(sim, 'c3');
    await createTask(sim, 'c4');
    expect((await credit(sim)).data).toBe(10);
    expect(await createTask(sim, 'c5')).toMatchObject({ code: 402, data: null });
    expect(sim.stats()).toMatchObject({ submissions: 4, createCalls: { '200': 4, '402': 1 } });

    // Topping up is setting the knob.
    await setFaults(sim, { accountCredits: 500 });
    expect(await createTask(sim, 'c5')).toMatchObject({ code: 200 });
    expect((await credit(sim)).data).toBe(470);
  });
});
