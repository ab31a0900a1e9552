import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicateSimulator, type RunningReplicateSimulator } from '../../src/simulators/index.js';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { credits, journal, refunded, startWorld, taskRow } from './world.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const IMAGE = { type: 'image', model: 'black-forest-labs/flux-schnell', input: { prompt: 'a cancelled lighthouse' } };
const PRICE = 2;

describe('cancel of a Replicate task', () => {
  let h: Harness;
  let replicate: RunningReplicateSimulator;
  beforeAll(async () => {
    // The prediction never finishes on its own: only a cancel at the provider stops the operator paying for it.
    replicate = await startReplicateSimulator({ seed: 5, durationMs: [150, 300], hangRate: 1, apiToken: 'r8_test', webhookSecret: SECRET });
    h = await startWorld({ env: { REPLICATE_BASE_URL: replicate.url, REPLICATE_API_TOKEN: 'r8_test', REPLICATE_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(async () => {
    await h.close();
    await replicate.close();
  });

  it('reaches the provider: the prediction is canceled there, and the task is refunded here', async () => {
    const { apiKey } = await h.user(100);
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect(submitted.body.status).toBe('processing');
    const taskId: string = submitted.body.taskId;
    const predictionId = (await taskRow(h, taskId)).provider_task_id!;

    const canceled = await h.api(apiKey, 'POST', `/api/v1/tasks/${taskId}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'canceled', creditsRefunded: PRICE });

    await waitFor('the cancel to reach Replicate', async () => replicate.log().cancelsPerProviderTask[predictionId] === 1);
    expect(replicate.stats().cancels).toBe(1);
    expect((await taskRow(h, taskId)).status).toBe('canceled');
    expect(await journal(h.system.db, taskId)).toEqual(refunded(PRICE));
    expect(await credits(h, apiKey)).toEqual({ balance: 100, frozen: 0, available: 100 });
  });
});
