import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDueNotifications } from '../../src/notify/index.js';
import { findTask } from '../../src/tasks/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { shortTimeoutModels } from '../recovery/helpers.js';
import {
  addEndpoint,
  deliverUntil,
  eventOf,
  forTask,
  HANGING_SIM,
  header,
  officialVerify,
  settledTask,
  webhookEntries,
  type Endpoint,
} from './webhookHelpers.js';

describe('outgoing webhooks, delivered to real HTTP receivers and verified with the standardwebhooks package', () => {
  let h: Harness;
  let all: Receiver;
  let failedOnly: Receiver;
  let allEndpoint: Endpoint;
  let failedEndpoint: Endpoint;
  let admin: string;

  beforeAll(async () => {
    // One attempt per task, so a provider failure fails the task rather than retrying it.
    h = await startHarness({ sim: HANGING_SIM, env: { MODELS_FILE: shortTimeoutModels(20 * 60_000, 1), OUTBOX_RETRY_BASE_MS: '50', OUTBOX_RETRY_MAX_MS: '50' } });
    [all, failedOnly] = await Promise.all([startReceiver({ path: '/hooks/settle' }), startReceiver({ path: '/hooks/settle' })]);
    admin = (await h.user(0, 'admin')).apiKey;
    allEndpoint = await addEndpoint(h, admin, all.url);
    failedEndpoint = await addEndpoint(h, admin, failedOnly.url, ['task.failed']);
  });
  afterAll(async () => {
    await h.close();
    await all.close();
    await failedOnly.close();
  });

  it('an admin refund of a completed task sends one signed task.refunded event; replaying the refund sends none', async () => {
    const user = await h.user(1000);
    const taskId = await settledTask(h, user.apiKey, 'completed');
    const refund = await h.api(admin, 'POST', `/api/admin/tasks/${taskId}/refund`, { reason: 'the video was blank' });
    expect(refund.status, JSON.stringify(refund.body)).toBe(201);
    const replay = await h.api(admin, 'POST', `/api/admin/tasks/${taskId}/refund`, { reason: 'the video was blank' });
    expect(replay.status).toBe(200);
    await deliverUntil(h, 'the refund event', () => forTask(all.received, taskId).some((d) => eventOf(d).type === 'task.refunded'));
    await deliverDueNotifications(h.system.delivery);

    const refunded = forTask(all.requests, taskId).filter((d) => eventOf(d).type === 'task.refunded');
    expect(refunded).toHaveLength(1);
    const event = officialVerify(allEndpoint.secret, refunded[0]!) as ReturnType<typeof eventOf>;
    const view = await h.api(user.apiKey, 'GET', `/api/v1/tasks/${taskId}`);
    expect(event.data).toEqual({ ...view.body, userId: user.userId, externalUserId: null });
    expect(event.data).toMatchObject({ status: 'completed', creditsCharged: 30, creditsRefunded: 30 });
    expect(forTask(failedOnly.requests, taskId)).toHaveLength(0);
    await expectAuditClean(h.system.db);
  });

  it('sends one signed event per settlement (completed, failed, canceled), carrying the task as its owner sees it', async () => {
    const user = await h.user(1000);
    const settled = {
      'task.completed': await settledTask(h, user.apiKey, 'completed'),
      'task.failed': await settledTask(h, user.apiKey, 'failed'),
      'task.canceled': await settledTask(h, user.apiKey, 'canceled'),
    };
    await deliverUntil(h, 'the four deliveries', () => all.received.length >= 3 && failedOnly.received.length >= 1);
    await deliverDueNotifications(h.system.delivery);

    for (const [type, taskId] of Object.entries(settled)) {
      const deliveries = forTask(all.requests, taskId);
      expect(deliveries, type).toHaveLength(1);
      const delivery = deliveries[0]!;
      const event = officialVerify(allEndpoint.secret, delivery) as ReturnType<typeof eventOf>;
      expect(event.type).toBe(type);
      expect(event.id).toMatch(/^evt_/);
      expect(header(delivery.headers, 'webhook-id')).toBe(event.id);
      expect(header(delivery.headers, 'webhook-signature')).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(Math.abs(Number(header(delivery.headers, 'webhook-timestamp')) - Date.now() / 1000)).toBeLessThan(60);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(Date.parse(event.createdAt)).not.toBeNaN();
      const view = await h.api(user.apiKey, 'GET', `/api/v1/tasks/${taskId}`);
      expect(event.data).toEqual({ ...view.body, userId: user.userId, externalUserId: null });
      // The other endpoint's secret does not verify this delivery.
      expect(() => officialVerify(failedEndpoint.secret, delivery)).toThrow(/signature/i);
    }
    expect(eventOf(forTask(all.requests, settled['task.completed'])[0]!).data).toMatchObject({ status: 'completed', creditsCharged: 30, assetUrl: expect.stringMatching(/^http/) });
    expect(eventOf(forTask(all.requests, settled['task.canceled'])[0]!).data).toMatchObject({ status: 'canceled', creditsRefunded: 30 });

    // The endpoint subscribed to task.failed only got that one, signed with its own secret.
    expect(failedOnly.requests).toHaveLength(1);
    const failed = officialVerify(failedEndpoint.secret, failedOnly.requests[0]!) as ReturnType<typeof eventOf>;
    expect(failed).toMatchObject({ type: 'task.failed', data: { taskId: settled['task.failed'], status: 'failed' } });
    // One event, two endpoints: the same event id.
    expect(failed.id).toBe(eventOf(forTask(all.requests, settled['task.failed'])[0]!).id);
    await expectAuditClean(h.system.db);
  });

  it('a settlement run again after a crash queues nothing more: one entry per event and endpoint', async () => {
    const user = await h.user(100);
    const taskId = await settledTask(h, user.apiKey, 'completed');
    const task = (await findTask(h.system.db, taskId))!;
    // What a settlement retried after a crash does: the hook runs again for the same settled task.
    await h.system.db.transaction((tx) => h.system.tasks.onSettled!(tx, [{ task, path: 'worker' }]));
    const entries = await webhookEntries(h, taskId);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.payload.endpointId).toBe(allEndpoint.id);
  });

  it('carries the app\'s own user id once the user has one', async () => {
    const user = await h.user(100);
    await h.system.db.query('ALTER TABLE users ADD COLUMN IF NOT EXISTS external_id text');
    await h.system.db.query(`UPDATE users SET external_id = 'app-user-42' WHERE id = $1`, [user.userId]);
    const taskId = await settledTask(h, user.apiKey, 'canceled');
    await deliverUntil(h, 'the event', () => forTask(all.received, taskId)[0]);
    expect(eventOf(forTask(all.received, taskId)[0]!).data).toMatchObject({ userId: user.userId, externalUserId: 'app-user-42' });
  });

  it('retries after a 500 with the same event id and the same body, freshly signed', async () => {
    const user = await h.user(100);
    all.answerNext(1, 500);
    const taskId = await settledTask(h, user.apiKey, 'completed');
    expect(await deliverDueNotifications(h.system.delivery)).toMatchObject({ sent: 0, retrying: 1 });
    expect((await webhookEntries(h, taskId))[0]).toMatchObject({ status: 'pending', attempts: 1, last_error: 'the endpoint answered HTTP 500' });
    await deliverUntil(h, 'the retry', () => forTask(all.received, taskId)[0]);

    const [first, retry] = forTask(all.requests, taskId);
    expect(first!.answered).toBe(500);
    expect(retry!.answered).toBe(200);
    expect(header(retry!.headers, 'webhook-id')).toBe(header(first!.headers, 'webhook-id'));
    expect(retry!.raw).toBe(first!.raw);
    expect(officialVerify(allEndpoint.secret, first!)).toEqual(officialVerify(allEndpoint.secret, retry!));
    expect((await webhookEntries(h, taskId))[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('an endpoint that does not answer within 15 s is tried again, with the same event id', async () => {
    const user = await h.user(100);
    all.holdNext(1);
    const taskId = await settledTask(h, user.apiKey, 'canceled');
    const started = Date.now();
    expect(await deliverDueNotifications(h.system.delivery)).toMatchObject({ sent: 0, retrying: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(14_900);
    expect((await webhookEntries(h, taskId))[0]).toMatchObject({ status: 'pending', attempts: 1, last_error: 'no answer within 15 s' });
    await deliverUntil(h, 'the retry', () => forTask(all.received, taskId)[0]);
    const [held, retry] = forTask(all.requests, taskId);
    expect(held!.answered).toBe(0);
    expect(header(retry!.headers, 'webhook-id')).toBe(header(held!.headers, 'webhook-id'));
  }, 60_000);

  it('events queued for an endpoint that is then removed go dead at their next attempt, without being sent', async () => {
    const spare = await startReceiver({ path: '/hooks/settle' });
    try {
      const endpoint = await addEndpoint(h, admin, spare.url, ['task.canceled']);
      const user = await h.user(100);
      const taskId = await settledTask(h, user.apiKey, 'canceled');
      expect((await h.api(admin, 'DELETE', `/api/admin/webhook-endpoints/${endpoint.id}`)).status).toBe(200);
      await deliverUntil(h, 'the other endpoint\'s delivery', () => forTask(all.received, taskId)[0]);
      const removed = (await webhookEntries(h, taskId)).find((e) => e.payload.endpointId === endpoint.id);
      expect(removed).toMatchObject({ status: 'dead', attempts: 1, last_error: `webhook endpoint ${endpoint.id} was removed` });
      expect(spare.requests).toHaveLength(0);
    } finally {
      await spare.close();
    }
  });
});
