import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopWithin } from '../../src/app/index.js';
import { startWorker } from '../../src/recovery/index.js';
import { waitFor } from '../helpers/net.js';
import { submitVideo, taskRow } from './helpers.js';
import { startRecoverySystem, type RecoverySystem } from './system.js';

describe('stopping a worker while a result downloads for longer than the shutdown bound', () => {
  let r: RecoverySystem;
  beforeAll(async () => {
    r = await startRecoverySystem();
  });
  afterAll(() => r.close());

  it('is waited for only up to its bound, leaving it to its lease, so the process can exit 0 in time', async () => {
    // 200 KB at 2 KB/s: a download of 100 s, four times the process's 25 s shutdown bound.
    r.sim.setFaults({ resultBytes: 200_000, downloadBytesPerSecond: 2_000 });
    const task = await submitVideo(r.system.tasks, r.userId, 'a slow result');
    const worker = startWorker(r.system.tasks, { concurrency: 2 });
    await waitFor('the result download under way', async () => (await taskRow(r.system.db, task.id)).ingest_keys.length === 1, 30_000);

    const started = Date.now();
    await stopWithin(1_000, 'worker', () => worker.stop(), r.system.logger);
    expect(Date.now() - started).toBeLessThan(10_000);
    const row = await taskRow(r.system.db, task.id);
    // Not settled by the stop: still processing, its lease held until it lapses, its hold open.
    expect(row.status).toBe('processing');
    expect(row.lease_owner).not.toBeNull();
    r.sim.setFaults({ resultBytes: null, downloadBytesPerSecond: null });
  }, 60_000);
});
