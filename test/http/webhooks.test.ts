import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signKieCallback } from '../../src/providers/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

const KEY = 'test-webhook-hmac-key';
const IMAGE = { type: 'image', model: 'google/nano-banana', input: { prompt: 'a kite' } };

function kieSuccessBody(providerTaskId: string, url: string) {
  return { code: 200, msg: 'success', data: { taskId: providerTaskId, state: 'success', resultJson: JSON.stringify({ resultUrls: [url] }) } };
}

function signedHeaders(providerTaskId: string, ageSeconds = 0) {
  const timestamp = String(Math.floor(Date.now() / 1000) - ageSeconds);
  return { 'x-webhook-timestamp': timestamp, 'x-webhook-signature': signKieCallback(providerTaskId, timestamp, KEY) };
}

async function taskRow(h: Harness, taskId: string) {
  const { rows } = await h.system.db.query<{ status: string; provider_task_id: string }>('SELECT status, provider_task_id FROM tasks WHERE id = $1', [taskId]);
  return rows[0]!;
}

describe('KIE callbacks with HMAC verification', () => {
  let h: Harness;
  beforeAll(async () => {
    // Hanging tasks never finish on their own, so only the callbacks sent by the test move them.
    h = await startHarness({ env: { KIE_WEBHOOK_HMAC_KEY: KEY }, sim: { callbackHmacKey: KEY, hangRate: 1 } });
  });
  afterAll(() => h.close());

  async function hangingTask(): Promise<{ taskId: string; providerTaskId: string; apiKey: string }> {
    const { apiKey } = await h.user(100);
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const row = await taskRow(h, res.body.taskId);
    return { taskId: res.body.taskId, providerTaskId: row.provider_task_id, apiKey };
  }

  it('a callback signed by the simulator settles the task without any poll', async () => {
    const { taskId, providerTaskId } = await hangingTask();
    h.sim.finish(providerTaskId, 'success');
    await waitFor('the callback to complete the task', async () => (await taskRow(h, taskId)).status === 'completed');
    expect(h.sim.stats().callbacksSent).toBeGreaterThan(0);
  });

  it('unsigned, stale and forged callbacks get 401 and change nothing; a valid one settles once, its replay changes nothing', async () => {
    // The simulator serves the file only once its task succeeded; force that without letting its callback through
    // (whether a task's callback is lost is drawn when the simulator creates it).
    h.sim.setFaults({ lostCallbackRate: 1 });
    const { taskId, providerTaskId } = await hangingTask();
    const body = kieSuccessBody(providerTaskId, `${h.sim.url}/files/${providerTaskId}/0.png`);
    const path = `/api/webhooks/kie?task=${taskId}`;
    h.sim.finish(providerTaskId, 'success');

    const unsigned = await h.api(undefined, 'POST', path, body);
    const stale = await h.api(undefined, 'POST', path, body, signedHeaders(providerTaskId, 600));
    const forged = await h.api(undefined, 'POST', path, body, { ...signedHeaders(providerTaskId), 'x-webhook-signature': signKieCallback(providerTaskId, '1', 'wrong-key') });
    const otherTask = await h.api(undefined, 'POST', path, { ...body, data: { ...body.data, taskId: 'another-provider-id' } }, signedHeaders(providerTaskId));
    for (const res of [unsigned, stale, forged, otherTask]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect((await taskRow(h, taskId)).status).toBe('processing');

    const headers = signedHeaders(providerTaskId);
    const valid = await h.api(undefined, 'POST', path, body, headers);
    expect(valid.status).toBe(200);
    await waitFor('the valid callback to complete the task', async () => (await taskRow(h, taskId)).status === 'completed');
    const replay = await h.api(undefined, 'POST', path, body, headers);
    expect(replay.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(await journal(h.system.db, taskId)).toEqual([
      { type: 'freeze', amount: 4 },
      { type: 'charge', amount: 4 },
    ]);
    h.sim.setFaults({ lostCallbackRate: 0 });
    await expectAuditClean(h.system.db);
  });

  it('answers 404 for an unknown task and 400 for a body that is not a KIE callback', async () => {
    const unknown = await h.api(undefined, 'POST', `/api/webhooks/kie?task=${randomUUID()}`, kieSuccessBody('p1', 'http://x/1.png'), signedHeaders('p1'));
    expect(unknown.status).toBe(404);
    const noQuery = await h.api(undefined, 'POST', '/api/webhooks/kie', kieSuccessBody('never-seen', 'http://x/1.png'), signedHeaders('never-seen'));
    expect(noQuery.status).toBe(404);
    const malformed = await h.api(undefined, 'POST', '/api/webhooks/kie', { hello: 'world' });
    expect(malformed.status).toBe(400);
  });
});

describe('KIE callbacks without a key configured', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sim: { hangRate: 1 } });
  });
  afterAll(() => h.close());

  it('a forged success for a still-running task changes nothing, because the task asks the provider itself', async () => {
    const { apiKey } = await h.user(100);
    const res = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const row = await taskRow(h, res.body.taskId);
    const forged = await h.api(undefined, 'POST', `/api/webhooks/kie?task=${res.body.taskId}`, kieSuccessBody(row.provider_task_id, 'http://127.0.0.1:9/evil.png'));
    expect(forged.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await taskRow(h, res.body.taskId)).status).toBe('processing');
    expect(await journal(h.system.db, res.body.taskId)).toEqual([{ type: 'freeze', amount: 4 }]);
  });
});
