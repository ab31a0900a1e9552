import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackgroundWork } from '../../src/app/index.js';
import { waitFor } from '../helpers/net.js';
import { age, submitVideo, taskRow } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

describe('stopping the background work while a scheduled recovery run is stuck in a long download', () => {
  let r: RecoverySystem;
  beforeAll(async () => {
    r = await startRecoverySystem({ env: { RECONCILE_CRON: '* * * * * *', CLEANUP_CRON: 'off', PROVIDER_ACCOUNT_CRON: 'off' } });
  });
  afterAll(() => r.close());

  it('returns within the shutdown bound, leaving the run to be finished as after a crash', async () => {
    const task = await submitVideo(r.system.tasks, r.userId, 'stuck, with a slow result');
    await waitFor('the task at the provider', async () => (await taskRow(r.system.db, task.id)).status === 'processing');
    // Stuck an hour, not due for the worker: only the reconciler's scheduled run takes it, and its download lasts
    // 100 s (200 KB at 2 KB/s), four times the process's 25 s shutdown bound.
    await age(r.system.db, task.id, { processingMinutes: 60 });
    r.sim.setFaults({ resultBytes: 200_000, downloadBytesPerSecond: 2_000 });
    const background = await startBackgroundWork(r.system);
    await waitFor('the reconciler downloading the result', async () => (await taskRow(r.system.db, task.id)).ingest_keys.length === 1, 30_000);

    const started = Date.now();
    await background.stop();
    expect(Date.now() - started).toBeLessThan(20_000);
    r.sim.setFaults({ resultBytes: null, downloadBytesPerSecond: null });
  }, 90_000);
});
