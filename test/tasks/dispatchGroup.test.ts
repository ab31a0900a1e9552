import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitTask, type TaskDeps } from '../../src/tasks/index.js';
import { recordDispatches } from '../../src/tasks/sql/fencedUpdates.js';
import { countingDb } from '../helpers/countingDb.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';
import { taskRow, VIDEO_MODEL, VIDEO_PRICE } from '../recovery/helpers.js';

/** The provider's acceptances held back until `n` submissions wait for one, then answered together. */
function answeringTogether(deps: TaskDeps, n: number): TaskDeps['providers'] {
  let waiting = 0;
  let release!: () => void;
  const allWaiting = new Promise<void>((resolve) => (release = resolve));
  return {
    get(name) {
      const real = deps.providers.get(name);
      return {
        ...real,
        async submit(request) {
          const accepted = await real.submit(request);
          if (++waiting === n) release();
          await allWaiting;
          return accepted;
        },
      };
    },
  };
}

describe('provider acceptances recorded in groups', () => {
  let h: Harness;
  let deps: TaskDeps;
  beforeAll(async () => {
    h = await startHarness({ sim: { durationMs: [60_000, 60_000] } });
    deps = h.system.tasks;
  });
  afterAll(() => h.close());

  it('40 acceptances arriving together are recorded in a few statements, each task processing once', async () => {
    const { userId } = await h.user(40 * VIDEO_PRICE);
    const counting = countingDb(h.system.db);
    const d = { ...deps, db: counting.db, providers: answeringTogether(deps, 40) };
    const submitted = await Promise.all(
      Array.from({ length: 40 }, (_, i) => submitTask(d, { userId, type: 'video', model: VIDEO_MODEL, input: { prompt: `group ${i}` } })),
    );
    expect(submitted.map((s) => s.status)).toEqual(submitted.map(() => 'processing'));
    expect(counting.runs('recordDispatches')).toBeLessThan(20);
    const rows = await Promise.all(submitted.map((s) => taskRow(h.system.db, s.taskId)));
    expect(rows.every((r) => r.provider_task_id && r.attempts === 1 && r.lease_owner === null)).toBe(true);
    expect(new Set(rows.map((r) => r.provider_task_id)).size).toBe(40);
    await expectAuditClean(h.system.db);
  });

  it('a stale lease in a group records nothing for its task; the others are recorded', async () => {
    const { userId } = await h.user(3 * VIDEO_PRICE);
    h.sim.setFaults({ transientErrorRate: 1 });
    const pending = await Promise.all(
      [0, 1, 2].map((i) => submitTask(deps, { userId, type: 'video', model: VIDEO_MODEL, input: { prompt: `stale ${i}` } })),
    );
    h.sim.setFaults({ transientErrorRate: 0 });
    const ids = pending.map((p) => p.taskId);
    await h.system.db.query(`UPDATE tasks SET lease_owner = 'held:' || id WHERE id = ANY($1::uuid[])`, [ids]);
    const recorded = await recordDispatches(h.system.db, [
      { taskId: ids[0]!, lease: `held:${ids[0]}`, providerTaskId: 'p-0', firstCheckMs: 1000 },
      { taskId: ids[1]!, lease: 'someone-else', providerTaskId: 'p-1', firstCheckMs: 1000 },
      { taskId: ids[2]!, lease: `held:${ids[2]}`, providerTaskId: 'p-2', firstCheckMs: 1000 },
    ]);
    expect([...recorded].sort()).toEqual([ids[0], ids[2]].sort());
    expect((await taskRow(h.system.db, ids[1]!)).status).toBe('pending');
    expect((await taskRow(h.system.db, ids[0]!)).provider_task_id).toBe('p-0');
  });
});
