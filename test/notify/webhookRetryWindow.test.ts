import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDueNotifications } from '../../src/notify/index.js';
import { runCli } from '../helpers/cli.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { addEndpoint, deadEvent, deliverUntil, forTask, HANGING_SIM, header, officialVerify, webhookEntries, type Endpoint } from './webhookHelpers.js';

const WINDOW_MS = 2_000;

describe('a webhook its endpoint keeps refusing: retried for WEBHOOK_RETRY_HOURS, then dead, and re-sendable', () => {
  let h: Harness;
  let receiver: Receiver;
  let endpoint: Endpoint;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness({
      sim: HANGING_SIM,
      env: { WEBHOOK_RETRY_HOURS: String(WINDOW_MS / 3_600_000), OUTBOX_RETRY_BASE_MS: '100', OUTBOX_RETRY_MAX_MS: '300', OUTBOX_MAX_ATTEMPTS: '2' },
    });
    receiver = await startReceiver({ path: '/hooks/settle' });
    admin = (await h.user(0, 'admin')).apiKey;
    endpoint = await addEndpoint(h, admin, receiver.url);
  });
  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  it('retries with backoff for the whole window, not for OUTBOX_MAX_ATTEMPTS, then ends dead with the reason', async () => {
    const { taskId, queuedAt } = await deadEvent(h, receiver);
    const attempts = forTask(receiver.requests, taskId);
    // Far more attempts than OUTBOX_MAX_ATTEMPTS (2): the window decides, and the last attempt comes at its end.
    expect(attempts.length).toBeGreaterThan(3);
    expect(Date.now() - queuedAt).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(new Set(attempts.map((d) => header(d.headers, 'webhook-id'))).size).toBe(1);
    for (const d of attempts) expect(officialVerify(endpoint.secret, d)).toMatchObject({ type: 'task.completed' });
    const [entry] = await webhookEntries(h, taskId);
    expect(entry).toMatchObject({ status: 'dead', attempts: attempts.length, last_error: 'the endpoint answered HTTP 503' });
    expect(await deliverDueNotifications(h.system.delivery)).toEqual({ sent: 0, retrying: 0, dead: 0 });
    expect(forTask(receiver.requests, taskId)).toHaveLength(attempts.length);
  }, 30_000);

  it('is listed among the dead entries and re-sent from the admin API: delivered with the same event id', async () => {
    const { taskId, entryId } = await deadEvent(h, receiver);
    const dead = await h.api(admin, 'GET', '/api/admin/outbox?status=dead');
    const listed = dead.body.entries.find((e: { id: string }) => e.id === entryId);
    expect(listed).toMatchObject({
      channel: 'webhook',
      kind: 'task.completed',
      status: 'dead',
      maxAttempts: null,
      lastError: 'the endpoint answered HTTP 503',
      payload: { endpointId: endpoint.id, type: 'task.completed', taskId, eventId: expect.stringMatching(/^evt_/) },
    });
    expect(JSON.stringify(dead.body)).not.toContain(endpoint.secret);

    receiver.answerNext(0, 200);
    const resent = await h.api(admin, 'POST', `/api/admin/outbox/${entryId}/resend`);
    expect(resent.status).toBe(200);
    expect(resent.body.entry).toMatchObject({ status: 'pending', attempts: 0 });
    // A fresh window from the re-send.
    expect(Date.parse(resent.body.entry.retryUntil)).toBeGreaterThan(Date.now() + WINDOW_MS / 2);
    await deliverUntil(h, 'the re-sent event', () => forTask(receiver.received, taskId)[0]);
    const delivered = forTask(receiver.received, taskId);
    expect(delivered).toHaveLength(1);
    expect(header(delivered[0]!.headers, 'webhook-id')).toBe(listed.payload.eventId);
    expect(officialVerify(endpoint.secret, delivered[0]!)).toMatchObject({ id: listed.payload.eventId, data: { taskId } });
    expect((await webhookEntries(h, taskId))[0]).toMatchObject({ status: 'sent' });
    expect((await h.api(admin, 'POST', `/api/admin/outbox/${entryId}/resend`)).status).toBe(404);
  }, 30_000);

  it.runIf(Boolean(process.env.TEST_DATABASE_URL))('is listed and re-sent by `settle outbox`', async () => {
    const { taskId, entryId } = await deadEvent(h, receiver);
    const env = { DATABASE_URL: h.database.url! };
    const listed = await runCli(['outbox', '--status', 'dead', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).entries.find((e: { id: string }) => e.id === entryId)).toMatchObject({ channel: 'webhook', status: 'dead' });
    const table = await runCli(['outbox', '--status', 'dead'], env);
    expect(table.stdout).toContain(entryId);
    expect(table.stdout).toContain('settle outbox resend');

    receiver.answerNext(0, 200);
    const resent = await runCli(['outbox', 'resend', entryId, '--json'], env);
    expect(resent.code, resent.stderr).toBe(0);
    expect(JSON.parse(resent.stdout).entry).toMatchObject({ id: entryId, status: 'pending' });
    await deliverUntil(h, 'the re-sent event', () => forTask(receiver.received, taskId)[0]);

    const again = await runCli(['outbox', 'resend', entryId], env);
    expect(again).toMatchObject({ code: 1, stderr: `settle: No dead outbox entry ${entryId}\n` });
    const bad = await runCli(['outbox', 'resend', 'nope'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^settle: the entry id must be a UUID/);
  }, 40_000);
});
