import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStore, assetKey, type AssetStore } from '../../src/storage/index.js';
import { audit } from '../../src/tasks/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createFundedUser, insertTask } from '../ledger/fixtures.js';

const storeFile = (store: AssetStore, key: string) => store.put(key, Readable.from([Buffer.from('a result')]), 'video/mp4', 8);

/** The audit's file and provider invariants, each shown to fail on the state it forbids. */
describe("audit of the tasks' files and provider tasks", () => {
  let t: TestDatabase;
  let store: AssetStore;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'settle-audit-files-'));
    store = createLocalStore(dir, 'http://127.0.0.1');
  });
  afterAll(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const violationsOf = async (taskId: string) =>
    (await audit(t.db, { store })).violations.filter((v) => v.taskId === taskId).map(({ invariant, detail }) => ({ invariant, detail }));

  it('asset_only_on_delivered_task: a failed task that links a file', async () => {
    const userId = await createFundedUser(t.db, 100);
    const taskId = await insertTask(t.db, userId, { status: 'failed' });
    const key = assetKey(taskId, 0, 'mp4');
    await storeFile(store, key);
    await t.db.query('UPDATE tasks SET asset_keys = $2 WHERE id = $1', [taskId, [key]]);
    expect(await violationsOf(taskId)).toContainEqual({ invariant: 'asset_only_on_delivered_task', detail: 'failed task links 1 file(s)' });
  });

  it('every_file_linked: a stored file its task does not link, and one that belongs to no task', async () => {
    const userId = await createFundedUser(t.db, 100);
    const taskId = await insertTask(t.db, userId, { status: 'completed' });
    const unlinked = assetKey(taskId, 0, 'mp4');
    await storeFile(store, unlinked);
    expect(await violationsOf(taskId)).toContainEqual({ invariant: 'every_file_linked', detail: `stored file ${unlinked} is not linked by its task` });

    const orphan = assetKey('00000000-0000-4000-8000-000000000000', 0, 'mp4');
    await storeFile(store, orphan);
    const report = await audit(t.db, { store });
    expect(report.ok).toBe(false);
    expect(report.violations).toContainEqual({ invariant: 'every_file_linked', detail: `stored file ${orphan} belongs to no task` });
  });

  it('one_task_per_provider_task: two tasks sharing a provider task, once the unique index that forbids it is gone', async () => {
    const userId = await createFundedUser(t.db, 100);
    const first = await insertTask(t.db, userId, { status: 'processing' });
    const second = await insertTask(t.db, userId, { status: 'processing' });
    await t.db.query('DROP INDEX tasks_provider_task_idx');
    await t.db.query(`UPDATE tasks SET provider_task_id = 'shared-provider-task' WHERE id = ANY($1::uuid[])`, [[first, second]]);
    const report = await audit(t.db);
    expect(report.violations.filter((v) => v.invariant === 'one_task_per_provider_task')).toEqual([
      { invariant: 'one_task_per_provider_task', taskId: [first, second].sort()[0], detail: '2 tasks share kie task shared-provider-task' },
    ]);
  });
});
