import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usingPostgres } from '../helpers/db.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess.js';
import { addEndpoint, forTask, HANGING_SIM, header, officialVerify, settledTask, submit, webhookEntries, type Endpoint } from '../notify/webhookHelpers.js';

describe.skipIf(!usingPostgres())('a webhook survives a SIGKILL of the `settle worker` that settled the task, between settle and send', () => {
  let h: Harness;
  let receiver: Receiver;
  let endpoint: Endpoint;
  const workers: WorkerProcess[] = [];
  const storage = mkdtempSync(join(tmpdir(), 'settle-webhook-crash-'));

  beforeAll(async () => {
    h = await startHarness({ sim: HANGING_SIM });
    receiver = await startReceiver({ path: '/hooks/settle' });
    endpoint = await addEndpoint(h, (await h.user(0, 'admin')).apiKey, receiver.url);
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await h.close();
    await receiver.close();
    rmSync(storage, { recursive: true, force: true });
  });

  const worker = (env: Record<string, string>) => {
    const w = startWorkerProcess({
      DATABASE_URL: h.database.url!,
      KIE_BASE_URL: h.sim.url,
      KIE_API_KEY: 'test-key',
      DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      STORAGE_DIR: storage,
      SCHEDULER: 'off',
      WORKER_POLL_MIN_MS: '100',
      WORKER_POLL_MAX_MS: '200',
      LOG_LEVEL: 'info',
      ...env,
    });
    workers.push(w);
    return w;
  };

  it('the settlement commits with its event; a later process delivers it once, signed, with the event id queued', async () => {
    const user = await h.user(1000);
    // A canceled task's event is queued before the first worker starts: its arrival shows that the worker's one
    // delivery pass has run. With OUTBOX_POLL_MS at an hour it makes no other, so nothing it settles later is sent.
    const marker = await settledTask(h, user.apiKey, 'canceled');
    const taskId = await submit(h, user.apiKey);
    const first = worker({ OUTBOX_POLL_MS: '3600000' });
    await waitFor('the first worker\'s only delivery pass', async () => forTask(receiver.received, marker).length === 1, 30_000);

    const { rows } = await h.system.db.query<{ provider_task_id: string }>('SELECT provider_task_id FROM tasks WHERE id = $1', [taskId]);
    h.sim.finish(rows[0]!.provider_task_id, 'success');
    const queued = await waitFor('the first worker to settle the task and queue its event', async () => {
      const task = await h.system.db.query<{ status: string }>('SELECT status FROM tasks WHERE id = $1', [taskId]);
      const [entry] = await webhookEntries(h, taskId);
      return task.rows[0]?.status === 'completed' && entry;
    }, 30_000);
    expect(queued).toMatchObject({ status: 'pending', attempts: 0 });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(forTask(receiver.requests, taskId)).toHaveLength(0);

    const second = worker({ OUTBOX_POLL_MS: '100' });
    const [delivery] = await waitFor('the second worker to deliver the event', async () => {
      const accepted = forTask(receiver.received, taskId);
      return accepted.length > 0 && accepted;
    }, 30_000);
    expect(header(delivery!.headers, 'webhook-id')).toBe(queued.payload.eventId);
    expect(officialVerify(endpoint.secret, delivery!)).toMatchObject({ id: queued.payload.eventId, type: 'task.completed', data: { taskId, status: 'completed', userId: user.userId } });
    await waitFor('the entry to be recorded sent', async () => (await webhookEntries(h, taskId))[0]?.status === 'sent');
    second.child.kill('SIGTERM');
    expect(await second.exited, second.stderr()).toBe(0);
    expect(forTask(receiver.requests, taskId)).toHaveLength(1);
    expect((await journal(h.system.db, taskId)).filter((j) => j.type === 'charge')).toHaveLength(1);
    await expectAuditClean(h.system.db);
  }, 90_000);
});

if (!usingPostgres()) {
  console.log('webhookCrash: the worker processes need a shared PostgreSQL; set TEST_DATABASE_URL to run it');
}
