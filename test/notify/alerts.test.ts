import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_SUMMARY } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log/index.js';
import { grantCredits, ensureCreditAccount } from '../../src/ledger/index.js';
import {
  createWebhookSender,
  DEFAULT_THRESHOLDS,
  deliverDueNotifications,
  raiseRunAlerts,
  type AlertSettings,
  type DeliveryDeps,
  type RunSummary,
} from '../../src/notify/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

const RED = 0xe01e5a;
const ORANGE = 0xf2a33a;
const GREEN = 0x2eb67d;

describe('Slack and Discord alerts through real HTTP receivers', () => {
  let t: TestDatabase;
  let receiver: Receiver;
  let delivery: DeliveryDeps;
  const settings: AlertSettings = { channels: ['slack', 'discord'], thresholds: DEFAULT_THRESHOLDS, maxAttempts: 5 };

  beforeAll(async () => {
    t = await createTestDatabase();
    receiver = await startReceiver();
    delivery = {
      db: t.db,
      logger: createLogger('silent'),
      senders: { slack: createWebhookSender(`${receiver.url}/slack`), discord: createWebhookSender(`${receiver.url}/discord`) },
      instanceId: 'test',
      retryBaseMs: 1,
      retryMaxMs: 1,
    };
  });
  afterAll(async () => {
    await receiver.close();
    await t.drop();
  });
  beforeEach(async () => {
    receiver.clear();
    await t.db.query('DELETE FROM alert_state');
    await t.db.query('DELETE FROM cron_job_executions');
  });

  /** Records a finished run the way the run history does, raises its alerts in the same transaction, delivers. */
  async function finishRun(jobName: string, status: 'completed' | 'failed', results: Record<string, unknown>, errorMessage?: string) {
    const run: RunSummary = { executionId: randomUUID(), jobName, status, durationMs: 1234, summary: { ...EMPTY_SUMMARY, ...results }, errorMessage: errorMessage ?? null };
    await t.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO cron_job_executions (id, job_name, status, results, error_message, completed_at, duration) VALUES ($1, $2, $3, $4, $5, now(), 1234)`,
        [run.executionId, jobName, status, results, errorMessage ?? null],
      );
      await raiseRunAlerts(tx, run, settings);
    });
    await drainOutbox();
    return run;
  }

  function drainOutbox() {
    return waitFor('the outbox to drain', async () => {
      await deliverDueNotifications(delivery);
      const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE status = 'pending'`);
      return rows[0]!.n === 0;
    }, 15_000, 5);
  }

  const healthy = { found: 10, completed: 10, failed: 0, errors: 0 };
  const slack = () => receiver.received.filter((r) => r.path === '/slack').map((r) => r.body);
  const discord = () => receiver.received.filter((r) => r.path === '/discord').map((r) => r.body);

  it('a healthy run sends nothing', async () => {
    await finishRun('process-stuck-tasks', 'completed', healthy);
    expect(receiver.received).toEqual([]);
  });

  const triggers: { name: string; results: Record<string, unknown>; status?: 'failed'; color: number; title: RegExp }[] = [
    { name: 'a failed run', results: {}, status: 'failed', color: RED, title: /run failed/ },
    { name: 'error rate over 50% with at least 3 tasks', results: { found: 3, errors: 2, failed: 0 }, color: ORANGE, title: /High error rate/ },
    { name: 'at least 5 tasks failed', results: { found: 20, failed: 5, errors: 0 }, color: RED, title: /5 tasks failed/ },
    { name: 'at least 3 processing errors', results: { found: 100, failed: 0, errors: 3 }, color: ORANGE, title: /3 processing errors/ },
  ];
  for (const trigger of triggers) {
    it(`${trigger.name}: one Block Kit message and one embed, with the run's facts`, async () => {
      const run = await finishRun('process-stuck-tasks', trigger.status ?? 'completed', trigger.results, trigger.status ? 'provider unreachable' : undefined);
      expect(slack()).toHaveLength(1);
      expect(discord()).toHaveLength(1);
      const [s] = slack();
      expect(s.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
      expect(s.blocks[0].text.text).toMatch(trigger.title);
      const fields = s.blocks.find((b: { fields?: unknown }) => b.fields).fields.map((f: { text: string }) => f.text).join('\n');
      expect(fields).toContain('process-stuck-tasks');
      expect(fields).toContain(run.executionId);
      expect(fields).toContain('1.2 s');
      const [d] = discord();
      expect(d.embeds).toHaveLength(1);
      expect(d.embeds[0].color).toBe(trigger.color);
      expect(d.embeds[0].title).toMatch(trigger.title);
      expect(d.embeds[0].fields.map((f: { value: string }) => f.value)).toContain(run.executionId);
      if (trigger.status) expect(JSON.stringify(d)).toContain('provider unreachable');
    });
  }

  it('3 consecutive failed runs raise their own alert', async () => {
    await finishRun('cleanup-jobs', 'failed', {}, 'boom');
    await finishRun('cleanup-jobs', 'failed', {}, 'boom');
    receiver.clear();
    await finishRun('cleanup-jobs', 'failed', {}, 'boom');
    expect(discord().map((d) => d.embeds[0].title)).toEqual([expect.stringMatching(/3 cleanup-jobs runs failed in a row/)]);
  });

  it('more than 20 stuck tasks and more than 10,000 frozen credits raise system alerts', async () => {
    const userId = randomUUID();
    await t.db.query(`INSERT INTO users (id, email) VALUES ($1, $2)`, [userId, `${userId}@example.com`]);
    await ensureCreditAccount(t.db, userId);
    await grantCredits(t.db, { userId, amount: 20_000 });
    for (let i = 0; i < 21; i++) {
      const taskId = randomUUID();
      await t.db.query(
        `INSERT INTO tasks (id, user_id, type, model, provider, input, status, price, max_attempts, timeout_ms, provider_task_id, processing_started_at, created_at)
         VALUES ($1, $2, 'video', 'sora-2-text-to-video', 'kie', '{}', 'processing', 500, 1, 60000, $3, now() - interval '2 hours', now() - interval '2 hours')`,
        [taskId, userId, `p-${taskId}`],
      );
      await t.db.query(`INSERT INTO credit_holds (id, task_id, user_id, amount, status, expires_at) VALUES ($1, $2, $3, 500, 'open', now() + interval '1 day')`, [randomUUID(), taskId, userId]);
      await t.db.query(`UPDATE user_credits SET frozen_balance = frozen_balance + 500 WHERE user_id = $1`, [userId]);
    }
    await finishRun('process-stuck-tasks', 'completed', healthy);
    const titles = discord().map((d) => d.embeds[0].title as string);
    expect(titles).toEqual(expect.arrayContaining([expect.stringMatching(/21 tasks stuck/), expect.stringMatching(/10500 credits frozen/)]));
    expect(discord().every((d) => d.embeds[0].color === ORANGE)).toBe(true);
    await t.db.query('DELETE FROM credit_holds');
    await t.db.query('DELETE FROM tasks');
    await t.db.query('UPDATE user_credits SET frozen_balance = 0');
  });

  it('does not repeat a condition within the dedupe window, and says when it clears', async () => {
    const failing = { found: 6, failed: 6, errors: 0 };
    await finishRun('process-stuck-tasks', 'completed', failing);
    await finishRun('process-stuck-tasks', 'completed', failing);
    expect(slack()).toHaveLength(1);
    await finishRun('process-stuck-tasks', 'completed', healthy);
    expect(slack()).toHaveLength(2);
    expect(slack()[1].text).toMatch(/Resolved/);
    expect(discord()[1].embeds[0].color).toBe(GREEN);
    await finishRun('process-stuck-tasks', 'completed', healthy);
    expect(slack()).toHaveLength(2);
  });

  it("says when a condition clears by the title its alert had, not by the condition's internal key", async () => {
    await finishRun('process-stuck-tasks', 'failed', {}, 'provider unreachable');
    await finishRun('process-stuck-tasks', 'completed', healthy);
    expect(slack().map((m) => m.blocks[0].text.text)).toEqual(['🚨 process-stuck-tasks run failed', '✅ Resolved: process-stuck-tasks run failed']);
    expect(discord()[1].embeds[0].title).toBe('✅ Resolved: process-stuck-tasks run failed');
    expect(JSON.stringify(receiver.received)).not.toMatch(/run[ _]failed:process-stuck-tasks/);
  });

  it('an error text far over the receivers\' limits is cut to fit with an ellipsis, and cannot ping or format in Slack', async () => {
    const hostile = `<!channel> <@U024BE7LH> <https://evil.example|click here> a & b > c ${'x'.repeat(10_000)}`;
    await finishRun('process-stuck-tasks', 'failed', {}, hostile);
    const [s] = slack();
    const mrkdwn: string[] = [s.text, ...s.blocks.flatMap((b: any) => [b.text?.type === 'mrkdwn' ? b.text.text : undefined, ...(b.fields ?? []).map((f: any) => f.text)])].filter(Boolean);
    for (const text of mrkdwn) {
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(text).not.toMatch(/<[!@#]|<https?:/);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(s.blocks[0].text.text.length).toBeLessThanOrEqual(150);
    const detail = s.blocks[1].text.text as string;
    expect(detail.startsWith('&lt;!channel&gt; &lt;@U024BE7LH&gt; &lt;https://evil.example|click here&gt; a &amp; b &gt; c xxx')).toBe(true);
    expect(detail).toHaveLength(3000);
    expect(detail.endsWith('x…')).toBe(true);

    const [d] = discord();
    const embed = d.embeds[0];
    expect(d.allowed_mentions).toEqual({ parse: [] });
    expect(embed.title.length).toBeLessThanOrEqual(256);
    expect(embed.description.length).toBeLessThanOrEqual(4096);
    expect(embed.description.startsWith('<!channel>')).toBe(true);
    expect(embed.description.endsWith('x…')).toBe(true);
    for (const field of embed.fields) expect(field.value.length).toBeLessThanOrEqual(1024);
    const total = embed.title.length + embed.description.length + embed.fields.reduce((n: number, f: any) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
  });

  it('a receiver answering 500 gets the same message again, and it arrives once', async () => {
    receiver.answerNext(2, 500);
    await finishRun('process-stuck-tasks', 'failed', {}, 'db down');
    expect(slack()).toHaveLength(1);
    expect(discord()).toHaveLength(1);
    const attempts = await t.db.query<{ attempts: number }>(`SELECT attempts FROM notification_outbox WHERE status = 'sent' ORDER BY created_at DESC LIMIT 2`);
    expect(attempts.rows.map((r) => r.attempts).reduce((a, b) => a + b)).toBe(4);
  });
});
