import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { advanceTask, newLease, type TaskDeps } from '../../src/tasks/index.js';
import { recordIngestKeys } from '../../src/tasks/sql/fencedUpdates.js';
import { countingDb } from '../helpers/countingDb.js';
import { waitFor } from '../helpers/net.js';
import { providerState, submitVideo, taskRow } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

const TASKS = 20;

describe('the key records of concurrent result downloads', () => {
  let r: RecoverySystem;
  beforeAll(async () => {
    r = await startRecoverySystem();
  });
  afterAll(() => r.close());

  async function finishedAtProvider(): Promise<string[]> {
    const tasks = await Promise.all(Array.from({ length: TASKS }, (_, i) => submitVideo(r.system.tasks, r.userId, `grouped ingest ${i}`)));
    for (const task of tasks) {
      const { provider_task_id } = await taskRow(r.system.db, task.id);
      await waitFor('the provider to finish the task', async () => (await providerState(r.sim.url, provider_task_id!)) === 'success');
    }
    return tasks.map((t) => t.id);
  }

  it('share one statement: while one is in flight, the downloads that answer meanwhile are recorded together', async () => {
    const ids = await finishedAtProvider();
    const counting = countingDb(r.system.db);
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const db: Db = {
      ...counting.db,
      query: async (statement, params) => {
        if (typeof statement !== 'string' && statement.name === 'recordIngestKeys' && !held) {
          held = true;
          await gate;
        }
        return counting.db.query(statement, params);
      },
    };
    let answered = 0;
    const base = r.system.tasks;
    const deps: TaskDeps = {
      ...base,
      db,
      providers: {
        get: (name) => {
          const provider = base.providers.get(name);
          return { ...provider, download: async (url, options) => {
            const download = await provider.download(url, options);
            answered++;
            return download;
          } };
        },
      },
    };

    const outcomes = Promise.all(ids.map((id) => advanceTask(deps, id, 'worker')));
    await waitFor('every download answered, the first key record held', () => answered === TASKS && held);
    release();

    expect(await outcomes).toEqual(ids.map(() => 'completed'));
    expect(counting.runs('recordIngestKeys')).toBe(2);
    for (const id of ids) expect((await taskRow(r.system.db, id)).asset_keys).toHaveLength(1);
  });

  it('are fenced row by row: a task whose lease was taken over is left as it was, the others recorded', async () => {
    const [kept, lost] = await Promise.all([submitVideo(r.system.tasks, r.userId, 'fenced keep'), submitVideo(r.system.tasks, r.userId, 'fenced lost')]);
    const lease = newLease(r.system.tasks);
    await r.system.db.query('UPDATE tasks SET lease_owner = $2, lease_expires_at = now() + interval \'1 minute\' WHERE id = ANY($1)', [[kept.id, lost.id], lease]);
    await r.system.db.query('UPDATE tasks SET lease_owner = $2 WHERE id = $1', [lost.id, 'another holder']);

    const held = await recordIngestKeys(r.system.db, [
      { taskId: kept.id, lease, leaseMs: 60_000, key: 'kept.mp4', first: true },
      { taskId: lost.id, lease, leaseMs: 60_000, key: 'lost.mp4', first: true },
    ]);

    expect([...held]).toEqual([kept.id]);
    expect((await taskRow(r.system.db, kept.id)).ingest_keys).toEqual(['kept.mp4']);
    expect((await taskRow(r.system.db, lost.id)).ingest_keys).toEqual([]);
  });
});
