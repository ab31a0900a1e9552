import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/http/index.js';
import { waitFor } from '../helpers/net.js';
import { providerState, submitVideo, taskRow } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

describe('stopping the HTTP server while a provider callback is downloading a slow result', () => {
  let r: RecoverySystem;
  beforeAll(async () => {
    r = await startRecoverySystem();
  });
  afterAll(() => r.close());

  it('returns within its share of the shutdown bound, leaving the download to recovery as after a crash', async () => {
    const task = await submitVideo(r.system.tasks, r.userId);
    await waitFor('the task at the provider', async () => (await taskRow(r.system.db, task.id)).status === 'processing');
    // The download the callback starts lasts 100 s (200 KB at 2 KB/s), four times the process's 25 s shutdown bound.
    r.sim.setFaults({ resultBytes: 200_000, downloadBytesPerSecond: 2_000 });
    const server = await startServer(r.system, 0, '127.0.0.1');
    const providerTaskId = (await taskRow(r.system.db, task.id)).provider_task_id;
    // The callback only makes Settle ask the provider: sent before the provider has finished, it downloads nothing.
    await waitFor('the provider to finish the task', () => providerState(r.sim.url, providerTaskId!).then((state) => state === 'success'));
    const callback = await fetch(`${server.url}/api/webhooks/kie?task=${task.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 200, msg: 'success', data: { taskId: providerTaskId, state: 'success' } }),
    });
    expect(callback.status).toBe(200);
    await waitFor('the callback downloading the result', async () => (await taskRow(r.system.db, task.id)).ingest_keys.length === 1, 30_000);

    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(12_000);
    expect((await taskRow(r.system.db, task.id)).status).toBe('processing');
    r.sim.setFaults({ resultBytes: null, downloadBytesPerSecond: null });
  }, 150_000);
});

