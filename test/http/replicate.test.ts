import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signReplicateWebhook } from '../../src/providers/index.js';
import { startReplicateSimulator, type RunningReplicateSimulator } from '../../src/simulators/index.js';
import { advanceTask } from '../../src/tasks/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const IMAGE = { type: 'image', model: 'black-forest-labs/flux-schnell', input: { prompt: 'a replicate lighthouse' } };
const PRICE = 2;

describe('Replicate end to end against its simulator', () => {
  let h: Harness;
  let sim: RunningReplicateSimulator;
  beforeAll(async () => {
    sim = await startReplicateSimulator({ seed: 5, durationMs: [150, 300], apiToken: 'r8_test', webhookSecret: SECRET });
    h = await startHarness({ env: { REPLICATE_BASE_URL: sim.url, REPLICATE_API_TOKEN: 'r8_test', REPLICATE_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(async () => {
    await h.close();
    await sim.close();
  });

  const statusOf = async (taskId: string) =>
    (await h.system.db.query<{ status: string; error_code: string | null }>('SELECT status, error_code FROM tasks WHERE id = $1', [taskId])).rows[0]!;

  it('a prediction completes through its verified webhook, with no poll, and is charged once', async () => {
    const { apiKey } = await h.user(100);
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('processing');
    await waitFor('the webhook to complete the task', async () => (await statusOf(res.body.taskId)).status === 'completed');
    expect(await journal(h.system.db, res.body.taskId)).toEqual([
      { type: 'freeze', amount: PRICE },
      { type: 'charge', amount: PRICE },
    ]);
    const view = await h.api(apiKey, 'GET', `/api/v1/tasks/${res.body.taskId}`);
    expect((await fetch(view.body.assetUrl)).status).toBe(200);
  });

  it('an aborted prediction is failed and refunded, never charged', async () => {
    const { apiKey } = await h.user(100);
    sim.setFaults({ abortRate: 1 });
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    sim.setFaults({ abortRate: 0 });
    await waitFor('the aborted prediction to settle', async () => {
      if ((await statusOf(res.body.taskId)).status === 'failed') return true;
      await advanceTask(h.system.tasks, res.body.taskId, 'worker');
      return false;
    });
    expect((await statusOf(res.body.taskId)).error_code).toBe('provider_aborted');
    expect(await journal(h.system.db, res.body.taskId)).toEqual([
      { type: 'freeze', amount: PRICE },
      { type: 'unfreeze', amount: PRICE },
    ]);
    expect((await h.api(apiKey, 'GET', '/api/v1/credits')).body).toEqual({ balance: 100, frozen: 0, available: 100 });
    await expectAuditClean(h.system.db);
  });

  it('a forged or stale webhook is refused with 401 and changes nothing', async () => {
    const { apiKey } = await h.user(100);
    sim.setFaults({ hangRate: 1 });
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    sim.setFaults({ hangRate: 0 });
    const body = JSON.stringify({ id: 'forged', status: 'succeeded', output: ['http://127.0.0.1:9/x.png'] });
    const now = Math.floor(Date.now() / 1000);
    const forged = signReplicateWebhook({ id: 'msg_1', timestamp: now, body, secret: `whsec_${randomBytes(24).toString('base64')}` });
    const stale = signReplicateWebhook({ id: 'msg_2', timestamp: now - 3600, body, secret: SECRET });
    for (const [id, ts, sig] of [['msg_1', now, forged], ['msg_2', now - 3600, stale]] as const) {
      const answer = await h.api(undefined, 'POST', `/api/webhooks/replicate?task=${res.body.taskId}`, body, {
        'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig,
      });
      expect(answer.status).toBe(401);
    }
    expect((await statusOf(res.body.taskId)).status).toBe('processing');
    expect(await journal(h.system.db, res.body.taskId)).toEqual([{ type: 'freeze', amount: PRICE }]);
  });
});
