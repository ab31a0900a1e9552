import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import {
  charged,
  expectAuditClean,
  IMAGE,
  journal,
  providerTasksOf,
  settled,
  startService,
  startWorld,
  taskRow,
  waitForRow,
  type Service,
} from './world.js';

const HMAC_KEY = 'kie-callback-key-for-tests';
const SIM_IMAGE = readFileSync(fileURLToPath(new URL('../../src/simulators/media/image.png', import.meta.url)));
const INTERNAL_ANSWER = Buffer.from('INTERNAL SERVICE ANSWER: not for users');

const md5 = (bytes: ArrayBuffer | Buffer) => createHash('md5').update(Buffer.from(bytes as ArrayBuffer)).digest('hex');

async function assetBytes(h: Harness, apiKey: string, taskId: string): Promise<Buffer> {
  const view = await h.api(apiKey, 'GET', `/api/v1/tasks/${taskId}`);
  const res = await fetch(`${h.url}${new URL(view.body.assetUrl).pathname}`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('a signed KIE callback replayed with another body', () => {
  let h: Harness;
  let catcher: Service;
  let internal: Service;
  beforeAll(async () => {
    // The provider's callbacks land here instead of at Settle: the test holds a genuine signed callback that Settle
    // never saw, as an attacker who captured one would.
    catcher = await startService((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    internal = await startService((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(INTERNAL_ANSWER));
    h = await startWorld({
      sim: { callbackHmacKey: HMAC_KEY },
      env: { KIE_WEBHOOK_HMAC_KEY: HMAC_KEY, PUBLIC_URL: catcher.url },
    });
  });
  afterAll(async () => {
    await h.close();
    await catcher.close();
    await internal.close();
  });

  /** Submits a task and returns the genuine signed callback the provider sent for it. */
  async function capturedCallback(apiKey: string) {
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const taskId: string = submitted.body.taskId;
    const callback = await waitFor('the provider\'s signed callback', async () =>
      catcher.requests.find((r) => r.url.includes(`task=${taskId}`)),
    );
    expect(callback.headers['x-webhook-signature']).toBeTruthy();
    expect((await taskRow(h, taskId)).status).toBe('processing');
    return { taskId, callback, body: JSON.parse(callback.body) };
  }

  async function replay(callback: { url: string; headers: Record<string, unknown> }, body: unknown) {
    const res = await fetch(`${h.url}${callback.url}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-webhook-timestamp': String(callback.headers['x-webhook-timestamp']),
        'x-webhook-signature': String(callback.headers['x-webhook-signature']),
      },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    return res.status;
  }

  it('naming a result URL on an internal service: the service is never asked, and the task gets what recordInfo says', async () => {
    const { apiKey } = await h.user(100);
    const { taskId, callback, body } = await capturedCallback(apiKey);
    const forged = { ...body, data: { ...body.data, state: 'success', resultJson: JSON.stringify({ resultUrls: [`${internal.url}/secret.png`] }) } };

    expect(await replay(callback, forged)).toBeLessThan(500);
    expect((await settled(h, taskId)).status).toBe('completed');

    expect(internal.requests).toEqual([]);
    const delivered = await assetBytes(h, apiKey, taskId);
    expect(delivered.includes(INTERNAL_ANSWER)).toBe(false);
    expect(md5(delivered)).toBe(md5(SIM_IMAGE));
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    await expectAuditClean(h);
  });

  it('saying the task failed: a task the provider finished is completed and charged, not refunded', async () => {
    const { apiKey } = await h.user(100);
    const { taskId, callback, body } = await capturedCallback(apiKey);
    const forged = {
      code: 501,
      msg: 'Playground task failed.',
      data: { ...body.data, state: 'fail', resultJson: '', failCode: '400', failMsg: 'The content was flagged by the content policy.' },
    };

    expect(await replay(callback, forged)).toBeLessThan(500);
    const row = await settled(h, taskId);
    expect(row.status).toBe('completed');
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    expect(md5(await assetBytes(h, apiKey, taskId))).toBe(md5(SIM_IMAGE));
    await expectAuditClean(h);
  });
});

describe('an unsigned callback naming another user\'s provider task', () => {
  let h: Harness;
  beforeAll(async () => {
    // Generated results differ by provider task, so whose file a user got shows in its hash.
    h = await startWorld({
      sim: { resultBytes: 50_000 },
      env: { PROVIDER_REQUEST_TIMEOUT_MS: '2000', SUBMIT_WAIT_MS: '1000' },
    });
  });
  afterAll(() => h.close());

  it('does not adopt it for a task in doubt: Alice never gets Bob\'s file, and one provider task stays with one task', async () => {
    const alice = await h.user(100);
    const bob = await h.user(100);

    // Alice's createTask is never answered and her provider task never finishes: her task waits in doubt.
    h.sim.setFaults({ createHangRate: 1, hangRate: 1 });
    const aliceTask: string = (await h.api(alice.apiKey, 'POST', '/api/v1/tasks', IMAGE)).body.taskId;
    h.sim.setFaults({ createHangRate: 0, hangRate: 0 });
    const [aliceProviderTask] = await waitFor('Alice\'s provider task', async () => providerTasksOf(h, aliceTask).length === 1 && providerTasksOf(h, aliceTask));
    // Her createTask has run out of time (the lease it held is given back): the task is pending, in doubt.
    await waitFor('Alice\'s createTask to time out', async () => {
      const { rows } = await h.system.db.query<{ lease_owner: string | null }>('SELECT lease_owner FROM tasks WHERE id = $1', [aliceTask]);
      return rows[0]!.lease_owner === null;
    });
    expect(await taskRow(h, aliceTask)).toMatchObject({ status: 'pending', provider_task_id: null });

    const bobTask: string = (await h.api(bob.apiKey, 'POST', '/api/v1/tasks', IMAGE)).body.taskId;
    const bobRow = await settled(h, bobTask);
    expect(bobRow.status).toBe('completed');
    const bobProviderTask = bobRow.provider_task_id!;
    const bobFile = md5(await assetBytes(h, bob.apiKey, bobTask));

    // Anyone can POST this: it names Alice's task in the URL and Bob's provider task in the body, unsigned.
    const checksBefore = h.sim.stats().statusChecks;
    await fetch(`${h.url}/api/webhooks/kie?task=${aliceTask}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        code: 200,
        msg: 'success',
        data: { taskId: bobProviderTask, state: 'success', resultJson: JSON.stringify({ resultUrls: [`${h.sim.url}/files/${bobProviderTask}/0.png`] }) },
      }),
    }).then((r) => r.body?.cancel());
    await waitFor('the forged callback to be handled', async () => {
      const row = await taskRow(h, aliceTask);
      return h.sim.stats().statusChecks > checksBefore || row.status !== 'pending' || row.provider_task_id !== null;
    });

    // Alice's own provider task finishes; its callback is the one that may attach it.
    h.sim.finish(aliceProviderTask!, 'success');
    const aliceRow = await settled(h, aliceTask);
    expect(aliceRow.provider_task_id).toBe(aliceProviderTask);
    expect(aliceRow.status).toBe('completed');
    expect(md5(await assetBytes(h, alice.apiKey, aliceTask))).not.toBe(bobFile);
    expect(await journal(h.system.db, aliceTask)).toEqual(charged());
    expect(await journal(h.system.db, bobTask)).toEqual(charged());

    const holders = await h.system.db.query('SELECT id FROM tasks WHERE provider = $1 AND provider_task_id = $2', ['kie', bobProviderTask]);
    expect(holders.rows).toEqual([{ id: bobTask }]);
    // The database itself refuses a second task holding the same provider task.
    await expect(h.system.db.query('UPDATE tasks SET provider_task_id = $1 WHERE id = $2', [bobProviderTask, aliceTask])).rejects.toThrow();
    await waitForRow(h, aliceTask, (r) => r.provider_task_id === aliceProviderTask);
    await expectAuditClean(h);
  });
});
