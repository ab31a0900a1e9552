import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkedStuckClaims } from '../../src/recovery/stuckClaims.js';
import { findStuckTasks } from '../../src/tasks/sql/stuckTasks.js';
import { claimTask, newLease } from '../../src/tasks/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { age, submitVideo, taskRow, VIDEO_PRICE } from './helpers.js';

const STUCK_AFTER_MS = 10 * 60_000;

describe('reconciler claims stuck tasks a chunk at a time', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sim: { durationMs: [600_000, 600_000] } });
  });
  afterAll(() => h.close());

  it('one lease per chunk; a task taken by another worker after the find is left to that worker', async () => {
    const deps = h.system.tasks;
    const { userId } = await h.user(7 * VIDEO_PRICE);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const task = await submitVideo(deps, userId, `stuck ${i}`);
      await age(deps.db, task.id, { processingMinutes: 20 + (7 - i) });
      ids.push(task.id);
    }
    const found = await findStuckTasks(deps.db, STUCK_AFTER_MS, 100);
    expect(found.map((r) => r.id)).toEqual(ids);

    const rival = newLease(deps);
    expect(await claimTask(deps.db, ids[2]!, rival, deps.leaseMs)).not.toBeNull();

    const claim = chunkedStuckClaims(deps, found, { chunk: 3, stuckAfterMs: STUCK_AFTER_MS });
    const claims = [];
    for (const id of ids) claims.push(await claim(id));

    expect(claims[2]).toBeNull();
    expect((await taskRow(deps.db, ids[2]!)).lease_owner).toBe(rival);
    const won = claims.filter((c) => c !== null);
    expect(won.map((c) => c.task.id)).toEqual(ids.filter((_, i) => i !== 2));
    for (const c of won) expect((await taskRow(deps.db, c.task.id)).lease_owner).toBe(c.lease);
    // 7 tasks in chunks of 3: three claim statements, three leases.
    expect(new Set(won.map((c) => c.lease)).size).toBe(3);
  });
});
