/// <reference types="vite/client" />
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

/**
 * The README's "Use it from your app" examples (examples/nextjs), run as Next.js would run them: each route
 * handler is called with a real Request, and talks to a running Settle over HTTP. No Next.js needed.
 */
const STRIPE_WEBHOOK_SECRET = 'whsec_stripe_example_secret';
const SETTLE_WEBHOOK_SECRET = `whsec_${Buffer.from('settle-example-webhook-secret-32b').toString('base64')}`;
const APP = 'http://app.example.com';

/** Loaded after the environment is set: the examples read it as they load, as a Next.js server does. */
type Route = { POST(request: Request): Promise<Response> };
type VideoTable = { find(taskId: string): Promise<Record<string, unknown> | null> };
// Found by the test runner, not followed by tsc: the examples are a Next.js app's files (extensionless imports).
const files = import.meta.glob<Record<string, unknown>>('../../examples/nextjs/**/*.ts');
const route = async (name: string) => (await files[`../../examples/nextjs/app/api/${name}/route.ts`]!()) as unknown as Route;
const videos = async () => (await files['../../examples/nextjs/lib/videos.ts']!()).videoTable as VideoTable;

/** verifyWebhook comes to settle/client with the outgoing webhooks (another branch); until then its example cannot load. */
const verifyWebhookShipped = typeof ((await import('settle/client')) as Record<string, unknown>).verifyWebhook === 'function';

const EXAMPLES = fileURLToPath(new URL('../../examples/nextjs/', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

it("the examples typecheck as a Next.js app compiles them (examples/nextjs/tsconfig.json's options)", () => {
  const sources = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => verifyWebhookShipped || !f.includes('settle-webhook'))
    .map((f) => EXAMPLES + f);
  expect(sources.length).toBeGreaterThanOrEqual(5);
  const options = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022', '--lib', 'ES2022,DOM,DOM.Iterable', '--module', 'ESNext', '--moduleResolution', 'bundler'];
  execFileSync(process.execPath, [TSC, ...options, ...sources], { encoding: 'utf8' });
}, 120_000);

describe('the README examples against a running Settle', () => {
  let h: Harness;
  const stripe = new Stripe('sk_test_example');
  beforeAll(async () => {
    h = await startHarness({ sim: { durationMs: [300, 600] } });
    Object.assign(process.env, {
      SETTLE_URL: h.url,
      SETTLE_ADMIN_KEY: (await h.user(0, 'admin')).apiKey,
      STRIPE_SECRET_KEY: 'sk_test_example',
      STRIPE_WEBHOOK_SECRET,
      SETTLE_WEBHOOK_SECRET,
    });
  });
  afterAll(() => h.close());

  const paidCheckout = (userId: string, credits: number, paymentIntent: string) => {
    const payload = JSON.stringify({
      id: `evt_${randomUUID()}`,
      object: 'event',
      type: 'checkout.session.completed',
      data: {
        object: {
          id: `cs_test_${randomUUID()}`,
          object: 'checkout.session',
          payment_status: 'paid',
          payment_intent: paymentIntent,
          client_reference_id: userId,
          customer_details: { email: `${userId}@example.com` },
          metadata: { credits: String(credits) },
        },
      },
    });
    return { payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET }) };
  };
  const stripeRequest = ({ payload, signature }: { payload: string; signature: string }) =>
    new Request(`${APP}/api/stripe-webhook`, { method: 'POST', headers: { 'stripe-signature': signature }, body: payload });

  it('a Stripe top-up grants the paid credits once, with the payment id as the reference, however often Stripe sends it', async () => {
    const topUp = await route('stripe-webhook');
    const event = paidCheckout('user_ada', 100, 'pi_ada_1');
    const first = await topUp.POST(stripeRequest(event));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, balance: 100, replayed: false });
    // Stripe retries with the same event; a second Checkout for the same payment would carry the same payment id.
    expect(await (await topUp.POST(stripeRequest(event))).json()).toEqual({ received: true, balance: 100, replayed: true });
    expect(await (await topUp.POST(stripeRequest(paidCheckout('user_ada', 100, 'pi_ada_1')))).json()).toMatchObject({ balance: 100, replayed: true });
    expect((await topUp.POST(new Request(`${APP}/api/stripe-webhook`, { method: 'POST', headers: { 'stripe-signature': 't=1,v1=forged' }, body: event.payload }))).status).toBe(400);

    const journal = await h.system.db.query<{ type: string; amount: number; reference: string }>(
      `SELECT t.type, t.amount, t.reference FROM credit_transactions t JOIN users u ON u.id = t.user_id WHERE u.external_id = 'user_ada'`,
    );
    expect(journal.rows).toEqual([{ type: 'grant', amount: 100, reference: 'pi_ada_1' }]);
  });

  it('the route handler submits for the signed-in user with Settle-User, at the price of the chosen length', async () => {
    const generate = await route('generate');
    const anonymous = await generate.POST(new Request(`${APP}/api/generate`, { method: 'POST', body: '{}' }));
    expect(anonymous.status).toBe(401);

    const res = await generate.POST(
      new Request(`${APP}/api/generate`, { method: 'POST', headers: { 'x-app-user': 'user_ada' }, body: JSON.stringify({ prompt: 'a heron at dawn', seconds: 15 }) }),
    );
    expect(res.status).toBe(202);
    const { taskId, credits } = await res.json();
    expect(credits).toBe(45);
    const row = await h.system.db.query<{ external_id: string; submitted_by_key: string }>(
      'SELECT u.external_id, t.submitted_by_key FROM tasks t JOIN users u ON u.id = t.user_id WHERE t.id = $1',
      [taskId],
    );
    expect(row.rows[0]!.external_id).toBe('user_ada');
    expect(row.rows[0]!.submitted_by_key).not.toBeNull();
    expect(await (await videos()).find(taskId)).toMatchObject({ userId: 'user_ada' });

    const broke = await generate.POST(
      new Request(`${APP}/api/generate`, { method: 'POST', headers: { 'x-app-user': 'user_ada' }, body: JSON.stringify({ prompt: 'too long for the balance', seconds: 15 }) }),
    );
    await waitFor('the first task to settle', async () => (await h.system.db.query(`SELECT 1 FROM tasks WHERE id = $1 AND status = 'completed'`, [taskId])).rows.length === 1);
    // 100 - 45 leaves 55: a second 15 s video fits, a third does not.
    expect(broke.status).toBe(202);
    const third = await generate.POST(
      new Request(`${APP}/api/generate`, { method: 'POST', headers: { 'x-app-user': 'user_ada' }, body: JSON.stringify({ prompt: 'one too many', seconds: 15 }) }),
    );
    expect(third.status).toBe(402);
    await expectAuditClean(h.system.db);
  });

  it.runIf(verifyWebhookShipped)('the webhook handler verifies the signature and updates the app, once per event however often it arrives', async () => {
    const hook = await route('settle-webhook');
    const taskId = (await h.system.db.query<{ id: string }>(`SELECT t.id FROM tasks t JOIN users u ON u.id = t.user_id WHERE u.external_id = 'user_ada' ORDER BY t.created_at LIMIT 1`)).rows[0]!.id;
    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'task.completed',
      createdAt: new Date().toISOString(),
      data: { taskId, status: 'completed', assetUrl: `${h.url}/assets/x.mp4`, userId: 'u', externalUserId: 'user_ada' },
    });
    const msgId = `msg_${randomUUID()}`;
    const timestamp = new Date();
    const headers = {
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(SETTLE_WEBHOOK_SECRET).sign(msgId, timestamp, body),
    };
    const deliver = (h2: Record<string, string>) => hook.POST(new Request(`${APP}/api/settle-webhook`, { method: 'POST', headers: h2, body }));
    expect((await deliver({ ...headers, 'webhook-signature': 'v1,Zm9yZ2Vk' })).status).toBe(400);
    expect((await deliver(headers)).status).toBe(200);
    expect((await deliver(headers)).status).toBe(200);
    expect(await (await videos()).find(taskId)).toMatchObject({ status: 'completed', url: `${h.url}/assets/x.mp4` });
  });
});
