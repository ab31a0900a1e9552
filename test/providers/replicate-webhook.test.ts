import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createReplicateProvider, parseReplicateCallback, ProviderError, signReplicateWebhook, verifyReplicateWebhook } from '../../src/providers/index.js';
import { startReplicateSimulator, type ReplicateSimulatorOptions, type RunningReplicateSimulator } from '../../src/simulators/index.js';
import { waitFor } from '../helpers/net.js';
import { startReceiver, type ReceivedRequest } from '../helpers/receiver.js';
import { sleep, type TestServer } from './helpers.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const running: Array<RunningReplicateSimulator | TestServer> = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function simulator(options: ReplicateSimulatorOptions = {}) {
  const sim = await startReplicateSimulator({ seed: 3, durationMs: [30, 60], webhookSecret: SECRET, ...options });
  running.push(sim);
  return sim;
}

/** A local webhook receiver; `failFirst` answers that many deliveries with 500. */
async function receiver(failFirst = 0) {
  const server = await startReceiver();
  server.answerNext(failFirst, 500);
  running.push(server);
  return server;
}

const check = (webhook: ReceivedRequest, overrides: Partial<Parameters<typeof verifyReplicateWebhook>[0]> = {}) =>
  verifyReplicateWebhook({
    id: webhook.headers['webhook-id'] as string | undefined,
    timestamp: webhook.headers['webhook-timestamp'] as string | undefined,
    signatureHeader: webhook.headers['webhook-signature'] as string | undefined,
    body: webhook.raw,
    secret: SECRET,
    ...overrides,
  });

describe('Replicate webhooks from the simulator', () => {
  it('arrive at a local receiver signed per Standard Webhooks, verify, and parse into our task and outcome', async () => {
    const sim = await simulator({ resultBytes: 1000 });
    const hook = await receiver();
    const replicate = createReplicateProvider({ baseUrl: sim.url, webhookSecret: SECRET });
    const callbackUrl = `${hook.url}/api/webhooks/replicate?task=task-42`;
    const { providerTaskId } = await replicate.submit({ taskId: 'task-42', model: 'minimax/video-01', input: { prompt: 'x' }, callbackUrl });

    const webhook = await waitFor('the webhook', () => hook.requests[0]);
    expect(webhook.path).toBe('/api/webhooks/replicate?task=task-42');
    expect(webhook.headers['content-type']).toBe('application/json');
    expect(webhook.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(webhook.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(check(webhook)).toBe(true);
    expect(replicate.verifyWebhook(webhook.headers, webhook.raw)).toBe('valid');

    const event = replicate.parseCallback(JSON.parse(webhook.raw), { task: 'task-42' });
    expect(event).toEqual({
      taskId: 'task-42',
      providerTaskId,
      // The prediction names the webhook it was created with, so the event says whose task it is.
      status: { state: 'success', resultUrls: [`${sim.url}/files/${providerTaskId}/output.mp4`], completedAt: expect.any(Date), settleTaskId: 'task-42' },
    });
    // Only the `completed` event was asked for, so exactly one delivery.
    await sleep(100);
    expect(hook.requests).toHaveLength(1);
    expect(sim.stats()).toMatchObject({ callbacksSent: 1, callbacksLost: 0 });
  });

  it('keeps the webhook-id across retries, with a valid signature on each attempt', async () => {
    const sim = await simulator();
    const hook = await receiver(1);
    const replicate = createReplicateProvider({ baseUrl: sim.url });
    await replicate.submit({ taskId: 't', model: 'minimax/video-01', input: { prompt: 'x' }, callbackUrl: `${hook.url}/hook?task=t` });
    await waitFor('the first attempt and its retry', () => hook.requests.length >= 2);
    const [first, second] = hook.requests;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(check(first!)).toBe(true);
    expect(check(second!)).toBe(true);
    await waitFor('the simulator to count the webhook sent', () => sim.stats().callbacksSent === 1);
  });

  it('delivers a webhook for failed and aborted predictions too, and none for lost ones', async () => {
    const sim = await simulator({ abortRate: 1 });
    const hook = await receiver();
    const replicate = createReplicateProvider({ baseUrl: sim.url, webhookSecret: SECRET });
    const submit = (task: string) =>
      replicate.submit({ taskId: task, model: 'minimax/video-01', input: { prompt: 'x' }, callbackUrl: `${hook.url}/h?task=${task}` });
    await submit('aborted');
    const aborted = await waitFor('the aborted prediction\'s webhook', () => hook.requests[0]);
    expect(replicate.verifyWebhook(aborted.headers, aborted.raw)).toBe('valid');
    expect(parseReplicateCallback(aborted.raw, { task: 'aborted' })).toMatchObject({
      taskId: 'aborted',
      status: { state: 'aborted' },
    });

    sim.setFaults({ abortRate: 0, failRate: 1 });
    await submit('failed');
    const failed = await waitFor('the failed prediction\'s webhook', () => hook.requests[1]);
    expect(parseReplicateCallback(JSON.parse(failed.raw), { task: 'failed' }).status).toMatchObject({ state: 'fail' });

    sim.setFaults({ failRate: 0, lostCallbackRate: 1 });
    const { providerTaskId } = await submit('lost');
    await waitFor('the simulator to lose the webhook', () => sim.stats().callbacksLost === 1);
    expect((await replicate.status(providerTaskId)).state).toBe('success');
    expect(hook.requests).toHaveLength(2);
  });

  it('sends unsigned webhooks when the simulator has no secret, which a configured receiver rejects', async () => {
    const sim = await simulator({ webhookSecret: undefined });
    const hook = await receiver();
    const replicate = createReplicateProvider({ baseUrl: sim.url, webhookSecret: SECRET });
    await replicate.submit({ taskId: 't', model: 'minimax/video-01', input: { prompt: 'x' }, callbackUrl: `${hook.url}/h?task=t` });
    const webhook = await waitFor('the webhook', () => hook.requests[0]);
    expect(webhook.headers['webhook-signature']).toBeUndefined();
    expect(replicate.verifyWebhook(webhook.headers, webhook.raw)).toBe('invalid');
    expect(createReplicateProvider({ baseUrl: sim.url }).verifyWebhook(webhook.headers, webhook.raw)).toBe('not_configured');
  });
});

describe('verifyReplicateWebhook', () => {
  const now = 1_760_000_000_000;
  const timestamp = String(now / 1000);
  const body = '{"id":"abc","status":"succeeded","output":"https://replicate.delivery/x/output.mp4"}';
  const signed = (overrides: { id?: string; timestamp?: string; body?: string; secret?: string } = {}) =>
    signReplicateWebhook({ id: 'msg_1', timestamp, body, secret: SECRET, ...overrides });
  const verify = (overrides: Partial<Parameters<typeof verifyReplicateWebhook>[0]> = {}) =>
    verifyReplicateWebhook({ id: 'msg_1', timestamp, signatureHeader: signed(), body, secret: SECRET, nowMs: now, ...overrides });

  it('accepts a genuine webhook, also among several signatures (secret rotation)', () => {
    expect(verify()).toBe(true);
    const other = signed({ secret: `whsec_${randomBytes(24).toString('base64')}` });
    expect(verify({ signatureHeader: `${other} ${signed()}` })).toBe(true);
    expect(verify({ signatureHeader: `v1a,${signed().slice(3)} ${signed()}` })).toBe(true);
  });

  it('matches the Standard Webhooks reference vector', () => {
    // The example from the Standard Webhooks specification's reference libraries.
    expect(
      verifyReplicateWebhook({
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: '1614265330',
        body: '{"test": 2432232314}',
        signatureHeader: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        nowMs: 1614265330_000,
      }),
    ).toBe(true);
  });

  it('rejects forged, tampered and mis-keyed webhooks', () => {
    expect(verify({ body: body.replace('succeeded', 'failed') })).toBe(false);
    expect(verify({ id: 'msg_2' })).toBe(false);
    expect(verify({ secret: `whsec_${randomBytes(24).toString('base64')}` })).toBe(false);
    expect(verify({ signatureHeader: `v1,${Buffer.alloc(32).toString('base64')}` })).toBe(false);
    expect(verify({ signatureHeader: `v2,${signed().slice(3)}` })).toBe(false);
    expect(verify({ signatureHeader: 'v1,' })).toBe(false);
    expect(verify({ signatureHeader: 'garbage' })).toBe(false);
  });

  it('signs exactly as the standardwebhooks library verifies, and refuses a secret it cannot decode', () => {
    const at = String(Math.floor(Date.now() / 1000));
    const headers = { 'webhook-id': 'msg_live', 'webhook-timestamp': at, 'webhook-signature': signReplicateWebhook({ id: 'msg_live', timestamp: at, body, secret: SECRET }) };
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    for (const secret of ['whsec_', 'whsec_!!not base64!!', '']) expect(verify({ secret })).toBe(false);
  });

  it('rejects stale and future timestamps (replays), and missing headers', () => {
    expect(verify({ nowMs: now + 301_000 })).toBe(false);
    expect(verify({ nowMs: now - 301_000 })).toBe(false);
    expect(verify({ nowMs: now + 299_000 })).toBe(true);
    expect(verify({ nowMs: now + 20_000, maxSkewSeconds: 10 })).toBe(false);
    // A replay with a fresh timestamp header but the old signature does not verify either.
    const fresh = String(now / 1000 + 600);
    expect(verify({ timestamp: fresh, nowMs: now + 600_000 })).toBe(false);
    expect(verify({ id: undefined })).toBe(false);
    expect(verify({ timestamp: undefined })).toBe(false);
    expect(verify({ timestamp: '12a' })).toBe(false);
    expect(verify({ signatureHeader: undefined })).toBe(false);
  });
});

describe('parseReplicateCallback', () => {
  it('reads the prediction (object or raw string) and our task id from the query', () => {
    const body = { id: 'p1', status: 'succeeded', output: ['https://replicate.delivery/a/out-0.png'], completed_at: '2025-01-01T00:00:00Z' };
    expect(parseReplicateCallback(body, { task: 'task-1' })).toEqual({
      taskId: 'task-1',
      providerTaskId: 'p1',
      status: { state: 'success', resultUrls: ['https://replicate.delivery/a/out-0.png'], completedAt: new Date('2025-01-01T00:00:00Z') },
    });
    expect(parseReplicateCallback(JSON.stringify({ id: 'p2', status: 'canceled' }), {})).toEqual({
      taskId: undefined,
      providerTaskId: 'p2',
      status: { state: 'aborted', message: 'Replicate canceled the prediction' },
    });
  });

  it('refuses a body that is not a prediction with a permanent ProviderError', () => {
    for (const body of [undefined, 'not json', { status: 'succeeded' }, { id: 'p', output: 'x' }, [1, 2]]) {
      expect(() => parseReplicateCallback(body, { task: 't' })).toThrow(ProviderError);
    }
  });
});
