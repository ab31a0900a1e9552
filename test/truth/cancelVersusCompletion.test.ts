import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { tableCounts } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';
import {
  charged,
  credits,
  downloadsOf,
  expectAuditClean,
  IMAGE,
  IMAGE_PRICE,
  journal,
  refunded,
  settled,
  startWorld,
  storedFilesOf,
  taskRow,
  wouldBeAssetUrls,
} from './world.js';

// A 1.5 MB result over a 300 KB/s link: the download takes about 5 s, long enough to cancel in the middle of it.
const SLOW_RESULT = { resultBytes: 1_500_000, downloadBytesPerSecond: 300_000 };

async function expectNotServed(urls: string[]): Promise<void> {
  for (const url of urls) {
    const res = await fetch(url);
    await res.body?.cancel();
    expect(res.status, `${url} must not be served`).toBe(404);
  }
}

describe('cancel versus completion', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startWorld();
  });
  afterAll(() => h.close());

  it('a cancel that lands while the result downloads refunds the task, and its file is never served', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults(SLOW_RESULT);
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect(submitted.status).toBe(202);
    const taskId: string = submitted.body.taskId;

    // The provider finished and its callback started the download: a partial file is on disk, the task still live.
    await waitFor('the result download to be under way', async () => {
      const row = await taskRow(h, taskId);
      return row.provider_task_id && downloadsOf(h, row.provider_task_id) === 1 && storedFilesOf(h, taskId).length > 0;
    });
    expect((await taskRow(h, taskId)).status).toBe('processing');
    await expectNotServed(wouldBeAssetUrls(h, taskId));

    const canceled = await h.api(apiKey, 'POST', `/api/v1/tasks/${taskId}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ taskId, status: 'canceled', creditsRefunded: IMAGE_PRICE });

    // Until the ingest has given up and cleaned up, every URL the file could have is checked on each round.
    await waitFor(
      'the canceled task to leave no file in storage',
      async () => {
        await expectNotServed(wouldBeAssetUrls(h, taskId));
        return storedFilesOf(h, taskId).length === 0;
      },
      30_000,
    );
    await expectNotServed(wouldBeAssetUrls(h, taskId));

    const row = await taskRow(h, taskId);
    expect(row.status).toBe('canceled');
    expect(row.asset_keys ?? []).toEqual([]);
    expect((await h.api(apiKey, 'GET', `/api/v1/tasks/${taskId}`)).body.assetUrl).toBeUndefined();
    expect(await journal(h.system.db, taskId)).toEqual(refunded());
    expect(await credits(h, apiKey)).toEqual({ balance: 100, frozen: 0, available: 100 });
    expect(downloadsOf(h, row.provider_task_id!)).toBe(1);
    await expectAuditClean(h);
  });

  it('a cancel after the completion answers 409 already_completed and changes nothing', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ resultBytes: null, downloadBytesPerSecond: null });
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', IMAGE);
    const taskId: string = submitted.body.taskId;
    expect((await settled(h, taskId)).status).toBe('completed');
    const view = await h.api(apiKey, 'GET', `/api/v1/tasks/${taskId}`);
    const assetPath = new URL(view.body.assetUrl).pathname;
    const before = await tableCounts(h.system.db);

    const canceled = await h.api(apiKey, 'POST', `/api/v1/tasks/${taskId}/cancel`);
    expect(canceled.status).toBe(409);
    expect(canceled.body.error.code).toBe('already_completed');

    expect(await tableCounts(h.system.db)).toEqual(before);
    expect((await taskRow(h, taskId)).status).toBe('completed');
    expect(await journal(h.system.db, taskId)).toEqual(charged());
    expect(await credits(h, apiKey)).toEqual({ balance: 100 - IMAGE_PRICE, frozen: 0, available: 100 - IMAGE_PRICE });
    const asset = await fetch(`${h.url}${assetPath}`);
    expect(asset.status).toBe(200);
    await asset.body?.cancel();
    await expectAuditClean(h);
  });
});
