import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmailSender, deliverDueNotifications, type OutboxEntry } from '../../src/notify/index.js';
import { advanceTask } from '../../src/tasks/index.js';
import { runCli } from '../helpers/cli.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { freePort, waitFor } from '../helpers/net.js';
import { createSmtpSink, type SmtpSink } from '../helpers/smtp.js';

const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a whale breaching' } };

describe('user e-mails through the outbox and a real SMTP server', () => {
  let h: Harness;
  let smtp: SmtpSink;
  let admin: string;

  beforeAll(async () => {
    smtp = await createSmtpSink(await freePort());
    h = await startHarness({
      // Tasks hang until the test finishes them, so only the recovery path under test completes them.
      sim: { hangRate: 1, lostCallbackRate: 1 },
      env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, EMAIL_FROM: 'Settle <noreply@settle.test>', OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_RETRY_BASE_MS: '50', OUTBOX_RETRY_MAX_MS: '50' },
    });
    admin = (await h.user(0, 'admin')).apiKey;
  });
  afterAll(async () => {
    await h.close();
    await smtp.stop();
  });

  /** Submits a task, lets the provider finish it, and completes it through the worker path (no poll, no callback). */
  async function recoveredTask(apiKey: string): Promise<string> {
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO);
    const { rows } = await h.system.db.query<{ provider_task_id: string }>('SELECT provider_task_id FROM tasks WHERE id = $1', [res.body.taskId]);
    h.sim.finish(rows[0]!.provider_task_id, 'success');
    expect(await advanceTask(h.system.tasks, res.body.taskId, 'worker')).toBe('completed');
    return res.body.taskId;
  }

  const mailsFor = (taskId: string) => smtp.messages.filter((m) => m.text?.includes(taskId));

  it('sends "Your AI video is ready!" with both parts and a link that downloads the asset', async () => {
    const user = await h.user(100);
    const taskId = await recoveredTask(user.apiKey);
    expect(await deliverDueNotifications(h.system.delivery)).toMatchObject({ sent: 1 });
    const [mail] = mailsFor(taskId);
    expect(mail).toBeDefined();
    expect(mail!.subject).toBe('Your AI video is ready!');
    expect((mail!.to as { text: string }).text).toBe(user.email);
    expect(mail!.from?.text).toContain('noreply@settle.test');
    expect(mail!.messageId).toMatch(/^<[0-9a-f-]{36}@settle\.test>$/);
    expect(mail!.text).toContain(`Hi ${user.email}`);
    expect(mail!.text).toContain('View in Assets Library');
    expect(mail!.html).toContain('View in Assets Library');
    const link = /Open your video: (\S+)/.exec(mail!.text!)![1]!;
    expect(mail!.html).toContain(`href="${link}"`);
    const asset = await fetch(link);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('video/mp4');
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it('names the Message-ID after PUBLIC_URL\'s host when EMAIL_FROM has no real domain', async () => {
    const user = await h.user(100);
    const taskId = await recoveredTask(user.apiKey);
    const { rows } = await h.system.db.query<OutboxEntry>(`SELECT * FROM notification_outbox WHERE payload->>'taskId' = $1`, [taskId]);
    const send = createEmailSender({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      from: 'Settle <no-reply@localhost>',
      publicUrl: 'https://settle.shop.example:8443',
      libraryUrl: 'https://shop.example/library',
      db: h.system.db,
      store: h.system.store,
    });
    await send(rows[0]!);
    expect(mailsFor(taskId).map((m) => m.messageId)).toEqual([`<${rows[0]!.id}@settle.shop.example>`]);
    await h.system.db.query(`UPDATE notification_outbox SET status = 'sent', sent_at = now() WHERE id = $1`, [rows[0]!.id]);
  });

  it('a user an app created without an e-mail address: the entry is done, nothing is sent, nothing retried', async () => {
    const { userId } = (await h.api(admin, 'POST', '/api/admin/users', { externalId: 'no-address', credits: 100 })).body;
    const { apiKey } = (await h.api(admin, 'POST', `/api/admin/users/${userId}/keys`)).body;
    const before = smtp.messages.length;
    const taskId = await recoveredTask(apiKey);
    expect(await deliverDueNotifications(h.system.delivery)).toEqual({ sent: 1, retrying: 0, dead: 0 });
    const { rows } = await h.system.db.query<{ status: string; attempts: number }>(`SELECT status, attempts FROM notification_outbox WHERE payload->>'taskId' = $1`, [taskId]);
    expect(rows).toEqual([{ status: 'sent', attempts: 1 }]);
    expect(smtp.messages.length).toBe(before);
  });

  it('a task the user polled to completion sends no e-mail with EMAIL_ON=recovered', async () => {
    const user = await h.user(100);
    const res = await h.api(user.apiKey, 'POST', '/api/v1/tasks', VIDEO);
    const { rows } = await h.system.db.query<{ provider_task_id: string }>('SELECT provider_task_id FROM tasks WHERE id = $1', [res.body.taskId]);
    h.sim.finish(rows[0]!.provider_task_id, 'success');
    // The poll stores the result in the background (never in the reader's request) and settles it as the poll's.
    expect(await advanceTask(h.system.tasks, res.body.taskId, 'poll')).toBe('ready');
    await waitFor('the polled task to complete', async () =>
      (await h.system.db.query(`SELECT 1 FROM tasks WHERE id = $1 AND status = 'completed' AND settled_by = 'poll'`, [res.body.taskId])).rowCount === 1,
    );
    const queued = await h.system.db.query(`SELECT 1 FROM notification_outbox WHERE payload->>'taskId' = $1`, [res.body.taskId]);
    expect(queued.rowCount).toBe(0);
  });

  it('SMTP down during recovery: tasks settle anyway, mails wait and arrive exactly once when it returns', async () => {
    const user = await h.user(1000);
    await smtp.stop();
    const taskIds: string[] = [];
    for (let i = 0; i < 5; i++) taskIds.push(await recoveredTask(user.apiKey));
    const statuses = await h.system.db.query<{ status: string }>('SELECT status FROM tasks WHERE id = ANY($1)', [taskIds]);
    expect(statuses.rows.every((r) => r.status === 'completed')).toBe(true);
    await expectAuditClean(h.system.db);

    expect(await deliverDueNotifications(h.system.delivery)).toMatchObject({ sent: 0, retrying: 5 });
    await smtp.start();
    await waitFor('all five e-mails', async () => {
      await deliverDueNotifications(h.system.delivery);
      return taskIds.every((id) => mailsFor(id).length > 0);
    });
    await deliverDueNotifications(h.system.delivery);
    for (const id of taskIds) expect(mailsFor(id)).toHaveLength(1);
  });

  it('SMTP down for good: entries end dead, visible in the admin API and the CLI, and can be re-sent', async () => {
    const user = await h.user(100);
    await smtp.stop();
    const taskId = await recoveredTask(user.apiKey);
    await waitFor('the entry to die', async () => {
      await deliverDueNotifications(h.system.delivery);
      const { rows } = await h.system.db.query<{ status: string }>(`SELECT status FROM notification_outbox WHERE payload->>'taskId' = $1`, [taskId]);
      return rows[0]?.status === 'dead';
    });
    const dead = await h.api(admin, 'GET', '/api/admin/outbox?status=dead');
    expect(dead.status).toBe(200);
    const entry = dead.body.entries.find((e: { payload: { taskId: string } }) => e.payload.taskId === taskId);
    expect(entry).toMatchObject({ status: 'dead', attempts: 3, maxAttempts: 3, channel: 'email' });
    expect(entry.lastError).toMatch(/ECONNREFUSED|connect/i);

    if (h.database.url) {
      const cli = await runCli(['outbox', '--status', 'dead', '--json'], { DATABASE_URL: h.database.url });
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout).entries.map((e: { id: string }) => e.id)).toContain(entry.id);
    }

    expect((await h.api((await h.user(0)).apiKey, 'GET', '/api/admin/outbox')).status).toBe(403);
    await smtp.start();
    const resent = await h.api(admin, 'POST', `/api/admin/outbox/${entry.id}/resend`);
    expect(resent.body.entry.status).toBe('pending');
    await deliverDueNotifications(h.system.delivery);
    expect(mailsFor(taskId)).toHaveLength(1);
    expect((await h.api(admin, 'POST', `/api/admin/outbox/${entry.id}/resend`)).status).toBe(404);
  });
});
