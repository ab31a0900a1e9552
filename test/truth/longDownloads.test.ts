import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { charged, downloadsOf, expectAuditClean, IMAGE, journal, startWorld, taskRow, timed, waitForRow } from './world.js';

const LEASE_MS = 3000;
const MIB = 1024 * 1024;

/**
 * Waits until the task completed, or its result was fetched a second time (the defect: a lease that ran out during
 * the download let another path take the task over and fetch it again), whichever comes first.
 */
async function completedOrFetchedTwice(h: Harness, taskId: string, timeoutMs: number) {
  const row = await waitForRow(
    h,
    taskId,
    (r) => r.status !== 'processing' && r.status !== 'pending' || (r.provider_task_id !== null && downloadsOf(h, r.provider_task_id) > 1),
    timeoutMs,
  );
  return { row, downloads: downloadsOf(h, row.provider_task_id!) };
}

describe('downloads that outlast the lease', () => {
  let h: Harness;
  beforeAll(async () => {
    // The worker runs, as in `settle serve`: it is the other path that would take over a task whose lease ran out.
    h = await startWorld({ worker: true, env: { TASK_LEASE_MS: String(LEASE_MS) } });
  });
  afterAll(() => h.close());

  it('a download longer than TASK_LEASE_MS completes, fetched once and charged once', async () => {
    const { apiKey } = await h.user(100);
    // 2.7 MB at 300 KB/s: about 9 s, three leases.
    h.sim.setFaults({ resultBytes: 2_700_000, downloadBytesPerSecond: 300_000 });
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const taskId: string = submitted.body.taskId;

    const { row, downloads } = await completedOrFetchedTwice(h, taskId, 60_000);
    expect(downloads).toBe(1);
    expect(row.status).toBe('completed');
    expect(h.sim.stats().mostDownloadsPerProviderTask).toBe(1);
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    const view = await h.api(apiKey, 'GET', `/api/v1/tasks/${taskId}`);
    const asset = await fetch(`${h.url}${new URL(view.body.assetUrl).pathname}`);
    expect(asset.status).toBe(200);
    expect((await asset.arrayBuffer()).byteLength).toBe(2_700_000);
    await expectAuditClean(h);
  });

  it('a 200 MiB result over a slow link, several leases long, completes, fetched once and charged once', { timeout: 240_000 }, async () => {
    const { apiKey } = await h.user(100);
    // 200 MiB at 20 MiB/s: at least 10 s, more than three leases; slower on a busy machine, which only makes it longer.
    h.sim.setFaults({ resultBytes: 200 * MIB, downloadBytesPerSecond: 20 * MIB });
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const taskId: string = submitted.body.taskId;

    const { row, downloads } = await completedOrFetchedTwice(h, taskId, 200_000);
    expect(downloads).toBe(1);
    expect(row.status).toBe('completed');
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    expect(row.asset_keys).toHaveLength(1);
    // Keys start with assets/, as their URLs do; on disk that part is STORAGE_DIR itself.
    expect(statSync(join(h.system.config.storageDir, row.asset_keys![0]!.slice('assets/'.length))).size).toBe(200 * MIB);
    expect(h.sim.stats().mostDownloadsPerProviderTask).toBe(1);
    await expectAuditClean(h);
  });
});

describe('status polls of a task whose result downloads slowly', () => {
  let h: Harness;
  beforeAll(async () => {
    // No worker and no callback: the status polls are the only path that moves the task.
    h = await startWorld({ sim: { lostCallbackRate: 1 } });
  });
  afterAll(() => h.close());

  it('answer at once while the result downloads, and the result is fetched once', async () => {
    const { apiKey } = await h.user(100);
    // 2.4 MB at 300 KB/s: about 8 s.
    h.sim.setFaults({ resultBytes: 2_400_000, downloadBytesPerSecond: 300_000 });
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const taskId: string = submitted.body.taskId;

    const slowest = { ms: 0 };
    await waitFor(
      'the polled task to complete',
      async () => {
        const poll = await timed(() => h.api(apiKey, 'GET', `/api/v1/tasks/${taskId}`));
        expect(poll.value.status).toBe(200);
        slowest.ms = Math.max(slowest.ms, poll.ms);
        return poll.value.body.status === 'completed';
      },
      60_000,
      200,
    );
    // Well under the 8 s the download takes, with room for a busy machine.
    expect(slowest.ms).toBeLessThan(3000);
    const row = await taskRow(h, taskId);
    expect(downloadsOf(h, row.provider_task_id!)).toBe(1);
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    await expectAuditClean(h);
  });
});
