import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceTask, audit, cancelTask } from '../../src/tasks/index.js';
import { usingPostgres } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/workerProcess.js';
import { submitVideo, taskRow } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

/**
 * A `settle worker` that dies after it has stored a task's result file and before the completion that links it
 * commits. The completion is held there by a trigger (pg_sleep) on the shared PostgreSQL database, and the process is
 * killed while it waits, so the file is stored and linked by nobody. Keys have a random part: unless the task
 * recorded the key first, nobody can ever find that file again.
 */
describe.skipIf(!usingPostgres())('a process that dies between storing a result and linking it', () => {
  let r: RecoverySystem;
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    r = await startRecoverySystem();
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await r.system.db.exec('DROP TRIGGER IF EXISTS hold_completion ON tasks; DROP FUNCTION IF EXISTS hold_completion()');
    await r.close();
  });

  async function killedMidCompletion(): Promise<string> {
    const store = r.system.store;
    const before = await keysIn(store);
    await r.system.db.exec(`
      CREATE OR REPLACE FUNCTION hold_completion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(120); RETURN NEW; END $$;
      CREATE OR REPLACE TRIGGER hold_completion BEFORE UPDATE ON tasks FOR EACH ROW
        WHEN (NEW.status = 'completed' AND OLD.status = 'processing') EXECUTE FUNCTION hold_completion();`);
    const task = await submitVideo(r.system.tasks, r.userId, `dies mid-completion ${Date.now()}`);
    worker = startWorkerProcess({
      DATABASE_URL: r.database.url!, KIE_BASE_URL: r.sim.url, KIE_API_KEY: 'test-key', DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      STORAGE_DIR: r.system.config.storageDir, WORKER_POLL_MIN_MS: '100', SCHEDULER: 'off', LOG_LEVEL: 'warn',
    });
    await waitFor('the completion held in the trigger, the file stored', async () => {
      const held = await r.system.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND query ILIKE '%UPDATE tasks%'`);
      return held.rows.length > 0;
    }, 60_000);
    worker.child.kill('SIGKILL');
    await worker.exited;
    await r.system.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()`);
    await r.system.db.exec('DROP TRIGGER hold_completion ON tasks; DROP FUNCTION hold_completion()');
    expect((await keysIn(store)).length, 'the dead worker stored the file').toBe(before.length + 1);
    expect(await taskRow(r.system.db, task.id)).toMatchObject({ status: 'processing', asset_keys: [] });
    // Its lease runs out (as TASK_LEASE_MS would see to): the task is anyone's again.
    await r.system.db.query(`UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [task.id]);
    return task.id;
  }

  it('the next ingest deletes the file the dead one left, and the audit finds every stored file linked', async () => {
    const taskId = await killedMidCompletion();
    expect(await advanceTask(r.system.tasks, taskId, 'worker')).toBe('completed');
    const done = await taskRow(r.system.db, taskId);
    expect(await keysIn(r.system.store)).toEqual(done.asset_keys);
    const report = await audit(r.system.db, { store: r.system.store });
    expect(report.violations).toEqual([]);
  }, 120_000);

  it('a cancel of such a task deletes the file too', async () => {
    const taskId = await killedMidCompletion();
    const before = await keysIn(r.system.store);
    expect((await cancelTask(r.system.tasks, taskId, 'owner')).canceled).toBe(true);
    const linked = (await r.system.db.query<{ k: string }>(`SELECT unnest(asset_keys) AS k FROM tasks`)).rows.map((row) => row.k);
    expect(await keysIn(r.system.store)).toEqual(before.filter((key) => linked.includes(key)));
    expect((await audit(r.system.db, { store: r.system.store })).violations).toEqual([]);
  }, 120_000);
});

async function keysIn(store: RecoverySystem['system']['store']): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list()) keys.push(key);
  return keys.sort();
}
