import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError, type WebhookEvent } from '../../src/client/index.js';
import type { WebhookEvent as ServerWebhookEvent } from '../../src/notify/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../helpers/receiver.js';
import { addEndpoint, deliverUntil, forTask, HANGING_SIM, settledTask, type Endpoint } from '../notify/webhookHelpers.js';

const secretOf = (bytes: Uint8Array) => `whsec_${Buffer.from(bytes).toString('base64')}`;

/** Signs as the official standardwebhooks package does and returns the three headers. */
function officialHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (err: Error) => `${err.name}: ${err.message}`);
const officialRefuses = (secret: string, body: string, headers: Record<string, string>) => {
  try {
    new Webhook(secret).verify(body, headers);
    return false;
  } catch {
    return true;
  }
};

describe('verifyWebhook (settle/client) against the standardwebhooks package', () => {
  it('the event it returns is the server\'s event type', () => {
    expectTypeOf<WebhookEvent>().toEqualTypeOf<ServerWebhookEvent>();
  });

  it('accepts whatever the official package signs, and refuses each tampering the official package refuses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.json(),
        fc.integer({ min: -290, max: 290 }),
        fc.constantFrom('body', 'id', 'timestamp', 'secret'),
        async (key, id, body, skewSeconds, tamper) => {
          const secret = secretOf(key);
          const headers = officialHeaders(secret, id, new Date(Date.now() + skewSeconds * 1000), body);
          expect(await verifyWebhook(body, headers, secret)).toEqual(JSON.parse(body));

          const changed = { ...headers };
          let changedBody = body;
          let changedSecret = secret;
          if (tamper === 'body') changedBody = `${body} `;
          if (tamper === 'id') changed['webhook-id'] = `${id}x`;
          if (tamper === 'timestamp') changed['webhook-timestamp'] = String(Number(headers['webhook-timestamp']) + 1);
          if (tamper === 'secret') changedSecret = secretOf(randomBytes(32));
          expect(officialRefuses(changedSecret, changedBody, changed)).toBe(true);
          await expect(verifyWebhook(changedBody, changed, changedSecret)).rejects.toThrow(WebhookVerificationError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('takes any v1 entry of a rotating secret\'s header, ignores other versions, and reads header names in any case', async () => {
    const secret = secretOf(randomBytes(32));
    const body = '{"id":"evt_1","type":"task.completed"}';
    const headers = officialHeaders(secret, 'evt_1', new Date(), body);
    const good = headers['webhook-signature']!;
    const rotating = { ...headers, 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${good}` };
    expect(await verifyWebhook(body, rotating, secret)).toEqual(JSON.parse(body));
    const upper = { 'Webhook-Id': headers['webhook-id']!, 'Webhook-Timestamp': headers['webhook-timestamp']!, 'Webhook-Signature': good };
    expect(await verifyWebhook(new TextEncoder().encode(body), upper, secret)).toEqual(JSON.parse(body));
    expect(await refusal(verifyWebhook(body, { ...headers, 'webhook-signature': good.replace('v1,', 'v2,') }, secret))).toBe(
      'WebhookVerificationError: No webhook-signature matches: a different secret, or a body that is not the raw one received',
    );
  });

  it('refuses with a clear reason: missing headers, old or future timestamps, an unusable secret, a body that is not JSON', async () => {
    const secret = secretOf(randomBytes(32));
    const now = new Date();
    const body = '{"ok":true}';
    const headers = officialHeaders(secret, 'evt_2', now, body);
    const { 'webhook-signature': _signature, ...unsigned } = headers;
    expect(await refusal(verifyWebhook(body, unsigned, secret))).toBe('WebhookVerificationError: Missing a webhook-id, webhook-timestamp or webhook-signature header');
    expect(await refusal(verifyWebhook(body, { ...headers, 'webhook-timestamp': 'yesterday' }, secret))).toMatch(/not a unix time/);
    expect(await refusal(verifyWebhook(body, headers, secret, { now: now.getTime() + 301_000 }))).toMatch(/too old/);
    expect(await refusal(verifyWebhook(body, headers, secret, { now: now.getTime() - 301_000 }))).toMatch(/in the future/);
    expect(await verifyWebhook(body, headers, secret, { now: now.getTime() + 3_000_000, toleranceSeconds: 3_600 })).toEqual({ ok: true });
    for (const bad of ['whsec_', 'whsec_not base64!', '']) {
      expect(await refusal(verifyWebhook(body, headers, bad))).toBe('WebhookVerificationError: The secret must be the whsec_… value shown when the endpoint was created');
    }
    const text = 'plain words';
    expect(await refusal(verifyWebhook(text, officialHeaders(secret, 'evt_3', now, text), secret))).toBe('WebhookVerificationError: The signed body is not JSON');
  });
});

describe('verifyWebhook on real deliveries', () => {
  let h: Harness;
  let receiver: Receiver;
  let endpoint: Endpoint;
  let delivery: ReceivedRequest;

  beforeAll(async () => {
    h = await startHarness({ sim: HANGING_SIM });
    receiver = await startReceiver({ path: '/hooks/settle' });
    endpoint = await addEndpoint(h, (await h.user(0, 'admin')).apiKey, receiver.url);
    const user = await h.user(100);
    const taskId = await settledTask(h, user.apiKey, 'completed');
    delivery = await deliverUntil(h, 'the delivery', () => forTask(receiver.received, taskId)[0]);
  });
  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  it('returns the event from Node\'s request headers or a fetch Headers object, with the body as text or bytes', async () => {
    const expected = JSON.parse(delivery.raw);
    expect(await verifyWebhook(delivery.raw, delivery.headers, endpoint.secret)).toEqual(expected);
    const fetchHeaders = new Headers(delivery.headers as Record<string, string>);
    expect(await verifyWebhook(Buffer.from(delivery.raw), fetchHeaders, endpoint.secret)).toEqual(expected);
    expect(new Webhook(endpoint.secret).verify(delivery.raw, delivery.headers as Record<string, string>)).toEqual(expected);
  });

  it('refuses the delivery under another secret, or re-serialised', async () => {
    expect(await refusal(verifyWebhook(delivery.raw, delivery.headers, secretOf(randomBytes(32))))).toMatch(/No webhook-signature matches/);
    const reserialised = JSON.stringify(JSON.parse(delivery.raw), null, 2);
    expect(await refusal(verifyWebhook(reserialised, delivery.headers, endpoint.secret))).toMatch(/No webhook-signature matches/);
  });
});
