import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDelivery } from '../../src/notify/index.js';
import { submitTask } from '../../src/tasks/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

describe('the operator\'s provider account: kept alive, shown, alerted', () => {
  let h: Harness;
  let slack: Receiver;
  beforeAll(async () => {
    slack = await startReceiver();
    h = await startHarness({ env: { SLACK_WEBHOOK_URL: `${slack.url}/slack`, ALERT_PROVIDER_CREDITS: '50', OUTBOX_POLL_MS: '50' } });
  });
  afterAll(async () => {
    await h.close();
    await slack.close();
  });
  const run = () => h.system.runJob('provider-account', 'admin');
  const alerts = () => slack.received.map((r) => JSON.stringify(r.body));

  it('KIE 402 keeps the task pending, /readyz says degraded (200), and the check raises provider_account; it clears when the account is back', async () => {
    const delivery = startDelivery(h.system.delivery, 50);
    try {
      const { userId } = await h.user(100);
      h.sim.setFaults({ accountError: 402 });
      const submitted = await submitTask(h.system.tasks, { userId, type: 'image', model: 'google/nano-banana', input: { prompt: 'out of credits' } });
      expect(submitted.status).toBe('pending');
      const ready = await fetch(`${h.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ database: 'up', provider: 'degraded', providers: { kie: { code: '402' } } });

      const failing = await run();
      expect(failing).toMatchObject({ status: 'failed' });
      expect(failing.error).toMatch(/^kie: refused work with 402/);
      await waitFor('the provider_account alert', async () => alerts().some((a) => a.includes('Provider account needs attention')));

      h.sim.setFaults({ accountError: null });
      // The task was never failed: it is still pending within its deadline, and goes out once the account is back.
      const row = await h.system.db.query<{ status: string }>('SELECT status FROM tasks WHERE id = $1', [submitted.taskId]);
      expect(row.rows[0]!.status).toBe('pending');
      await h.system.tasks.providers.get('kie').account!();
      expect(await (await fetch(`${h.url}/readyz`)).json()).toMatchObject({ provider: 'ok' });
      expect(await run()).toMatchObject({ status: 'completed' });
      await waitFor('the resolved message', async () => alerts().some((a) => a.includes('Resolved')));
    } finally {
      await delivery.stop();
    }
  });

  it('credits below ALERT_PROVIDER_CREDITS fail the check, naming the provider and the credits left', async () => {
    h.sim.setFaults({ accountCredits: 12 });
    try {
      const low = await run();
      expect(low).toMatchObject({ status: 'failed', error: 'kie: 12 credits left (alert below 50)' });
    } finally {
      h.sim.setFaults({ accountCredits: 100_000 });
    }
    expect(await run()).toMatchObject({ status: 'completed', results: { providers: [{ provider: 'kie', state: 'ok', credits: 100_000 }] } });
  });
});
