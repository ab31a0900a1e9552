import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystem } from '../../src/app/system.js';
import { loadConfig } from '../../src/config/index.js';
import { openDatabase, openPglite, type Db } from '../../src/db/index.js';
import { createLogger } from '../../src/log/index.js';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.js';
import { createLocalStore } from '../../src/storage/index.js';
import { advanceTask, loadTaskView } from '../../src/tasks/index.js';
import { createUser } from '../../src/users/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { submitVideo, taskRow } from '../recovery/helpers.js';

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

/** `settle prune` as an operator runs it: the built CLI against a database and STORAGE_DIR holding real results. */
describe('settle prune --older-than', () => {
  const dir = mkdtempSync(join(tmpdir(), 'settle-cli-prune-'));
  const storageDir = join(dir, 'assets');
  let sim: RunningSimulator;
  let server: TestDatabase | undefined;
  let env: Record<string, string>;
  let old: string[];
  let recent: string;

  const withDb = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    const db = server ? await openDatabase({ databaseUrl: server.url, dataDir: dir }) : await openPglite(join(dir, 'pgdata'));
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  const state = () =>
    withDb(async (db) => ({
      tasks: (await db.query(`SELECT id, status, price, settled_by, input, asset_keys, pruned_at IS NOT NULL AS pruned FROM tasks ORDER BY id`)).rows,
      journal: (await db.query(`SELECT * FROM credit_transactions ORDER BY id`)).rows,
      credits: (await db.query(`SELECT * FROM user_credits ORDER BY user_id`)).rows,
      files: filesUnder(storageDir).sort(),
    }));

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: 11, durationMs: [50, 100], rateLimit: null });
    server = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined;
    env = {
      ...(server ? { DATABASE_URL: server.url! } : { SETTLE_DATA_DIR: dir }),
      KIE_BASE_URL: sim.url, DOWNLOAD_ALLOWED_HOSTS: '127.0.0.1',
      KIE_API_KEY: 'test-key',
      STORAGE_DIR: storageDir,
    };
    // Three tasks delivered through the real system (files in STORAGE_DIR); two of them finished 100 days ago.
    const system = await createSystem(loadConfig(env), { db: server?.db, logger: createLogger('silent') });
    system.tasks.callbackBaseUrl = undefined;
    try {
      const { userId } = await createUser(system.db, { email: 'prune@example.com', credits: 1000 });
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await submitVideo(system.tasks, userId, `clip ${i}`)).id);
      for (const id of ids) {
        await waitFor(`task ${id} to complete`, async () => {
          await advanceTask(system.tasks, id, 'poll');
          return (await taskRow(system.db, id)).status === 'completed' || undefined;
        });
      }
      [recent, ...old] = ids as [string, ...string[]];
      await system.db.query(`UPDATE tasks SET completed_at = now() - interval '100 days' WHERE id = ANY($1::uuid[])`, [old]);
    } finally {
      if (!server) await system.close();
    }
  }, 60_000);
  afterAll(async () => {
    await sim.close();
    await server?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad age or batch size with one clear line, exit 2, and changes nothing', async () => {
    const before = await state();
    expect(before.files.length).toBeGreaterThanOrEqual(3);
    for (const args of [['--older-than', 'banana'], ['--older-than', '-5d'], ['--older-than', '0d'], ['--older-than', '90d', '--batch-size', 'x']]) {
      const res = await runCli(['prune', ...args], env);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(res.stdout).toBe('');
    }
    expect((await runCli(['prune'], env)).code).toBe(2);
    expect((await runCli(['prune', '--older-than', 'banana'], env)).stderr).toMatch(/--older-than must be an age like 90d.*"banana"/);
    expect(await state()).toEqual(before);
  });

  it('a dry run counts the old tasks and their files and changes nothing', async () => {
    const before = await state();
    const dry = await runCli(['prune', '--older-than', '90d', '--dry-run', '--json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    const oldFiles = before.tasks.filter((t) => old.includes(t.id as string)).reduce((n, t) => n + (t.asset_keys as string[]).length, 0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ executionId: null, dryRun: true, results: { dryRun: true, tasks: 2, files: oldFiles } });
    expect(await state()).toEqual(before);
  });

  it('removes old inputs and files in batches; the tasks, money fields and journal stay; settle audit passes', async () => {
    const before = await state();
    const res = await runCli(['prune', '--older-than', '90d', '--batch-size', '1', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const oldKeys = before.tasks.filter((t) => old.includes(t.id as string)).flatMap((t) => t.asset_keys as string[]);
    const run = JSON.parse(res.stdout);
    expect(run).toMatchObject({ jobName: 'prune-history', trigger: 'cli', status: 'completed', results: { dryRun: false, tasks: 2, files: oldKeys.length, batches: 2 } });
    expect(run.executionId).toMatch(/^[0-9a-f-]{36}$/);

    const after = await state();
    expect(after.journal).toEqual(before.journal);
    expect(after.credits).toEqual(before.credits);
    for (const t of after.tasks) {
      const was = before.tasks.find((b) => b.id === t.id)!;
      expect({ status: t.status, price: t.price, settled_by: t.settled_by }).toEqual({ status: was.status, price: was.price, settled_by: was.settled_by });
      if (t.id === recent) expect(t).toEqual(was);
      else expect(t).toMatchObject({ input: {}, asset_keys: [], pruned: true });
    }
    expect(after.files.length).toBe(before.files.length - oldKeys.length);
    for (const key of oldKeys) expect(after.files.some((f) => f.endsWith(key))).toBe(false);

    // The owner polling an old task learns why it has no file any more.
    const views = await withDb(async (db) => Promise.all([recent, ...old].map((id) => loadTaskView(db, createLocalStore(storageDir, 'http://files.example.com'), id))));
    expect(views[0]).not.toHaveProperty('prunedAt');
    expect(views[0]!.assetUrl).toEqual(expect.any(String));
    for (const view of views.slice(1)) expect(view).toMatchObject({ status: 'completed', prunedAt: expect.any(String) });
    for (const view of views.slice(1)) expect(view).not.toHaveProperty('assetUrl');

    const audit = await runCli(['audit'], env);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    const again = await runCli(['prune', '--older-than', '90d'], env);
    expect(again.stdout).toMatch(/^Pruned 0 tasks finished over 90d ago \(0 stored files\) in 0 batches, in \d+ ms\. Recorded as execution /);
  });
});
