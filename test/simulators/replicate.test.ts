import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.js';
import { getJson, postJson, replicateSim } from './helpers.js';

const SECRET = 'whsec_c2VjcmV0LWZvci10ZXN0cw==';

async function predict(sim: { url: string }, path: string, body: Record<string, unknown>) {
  return postJson(`${sim.url}${path}`, { input: { prompt: 'a red fox' }, ...body });
}

async function finished(sim: { url: string }, id: string) {
  return waitFor('a terminal status', async () => {
    const prediction = await getJson(`${sim.url}/v1/predictions/${id}`);
    return ['succeeded', 'failed', 'canceled', 'aborted'].includes(prediction.status) ? prediction : undefined;
  }, 5000, 20);
}

describe('Replicate simulator', () => {
  it('answers the default webhook secret as Replicate does, and 404 when it signs nothing', async () => {
    const signing = await replicateSim({ webhookSecret: SECRET, apiToken: 'r8_x' });
    const denied = await fetch(`${signing.url}/v1/webhooks/default/secret`);
    expect(denied.status).toBe(401);
    const answer = await fetch(`${signing.url}/v1/webhooks/default/secret`, { headers: { authorization: 'Bearer r8_x' } });
    expect(await answer.json()).toEqual({ key: SECRET });

    const unsigned = await replicateSim();
    expect((await fetch(`${unsigned.url}/v1/webhooks/default/secret`)).status).toBe(404);
  });

  it('shows metrics.total_time and predict_time in seconds on a finished prediction', async () => {
    const sim = await replicateSim({ durationMs: [400, 400] });
    const { body } = await predict(sim, '/v1/models/minimax/video-01/predictions', {});
    expect(body.metrics).toEqual({});
    const done = await finished(sim, body.id);
    expect(done.metrics.total_time).toBeCloseTo(0.4, 1);
    expect(done.metrics.predict_time).toBeCloseTo(0.3, 1);
    expect(done.metrics.total_time).toBe((Date.parse(done.completed_at) - Date.parse(done.created_at)) / 1000);
  });

  it('names the model on a prediction created by version, and echoes the webhook and its filter', async () => {
    const sim = await replicateSim();
    const webhook = 'http://127.0.0.1:9/api/webhooks/replicate?task=v1';
    const version = 'b'.repeat(64);
    const byVersion = await predict(sim, '/v1/predictions', { version, webhook, webhook_events_filter: ['completed'] });
    expect(byVersion.status).toBe(201);
    expect(byVersion.body).toMatchObject({ version, model: expect.stringMatching(/^[\w.-]+\/[\w.-]+$/), webhook, webhook_events_filter: ['completed'] });
    const named = await predict(sim, '/v1/predictions', { version: `someone/custom-model:${version}` });
    expect(named.body).toMatchObject({ model: 'someone/custom-model', version });
    expect(sim.log().settleTasks).toEqual({ v1: [{ providerTaskId: byVersion.body.id, at: expect.any(Number) }] });
  });

  it('cancels a prediction, counted in stats and per prediction', async () => {
    const sim = await replicateSim({ hangRate: 1 });
    const { body } = await predict(sim, '/v1/models/minimax/video-01/predictions', {});
    const canceled = await postJson(`${sim.url}/v1/predictions/${body.id}/cancel`, {});
    expect(canceled).toMatchObject({ status: 200, body: { id: body.id, status: 'canceled' } });
    expect((await finished(sim, body.id)).status).toBe('canceled');
    // A cancel after the end changes nothing, but is a call the provider saw.
    await postJson(`${sim.url}/v1/predictions/${body.id}/cancel`, {});
    expect(sim.stats()).toMatchObject({ cancels: 2, predictions: { canceled: 1 } });
    expect(sim.log().cancelsPerProviderTask).toEqual({ [body.id]: 2 });
  });
});
