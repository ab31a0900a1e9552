import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createTaskWatcher, type TaskWatcher } from '../../src/http/api/events/taskWatcher.js';
import { createLogger } from '../../src/log/index.js';
import { createSystem, type System } from '../../src/app/system.js';
import type { WatchedTask } from '../../src/tasks/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';

/** The watcher's change query against a database that fails under it for a while (its tasks table is gone). */
describe('the task event watcher when the database fails', () => {
  let database: TestDatabase;
  let system: System;
  let storageDir: string;
  const lines: { level: number; msg: string }[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    storageDir = mkdtempSync(join(tmpdir(), 'settle-watcher-'));
    const log = new PassThrough();
    log.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    });
    const config = loadConfig({ STORAGE_DIR: storageDir, KIE_API_KEY: 'test-key', PUBLIC_URL: 'http://127.0.0.1:1' });
    system = await createSystem(config, { db: database.db, logger: createLogger('info', log) });
  });
  afterAll(async () => {
    await database.drop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('warns once per outage (not every poll), keeps polling, says when it recovers, and stops cleanly', async () => {
    const watcher: TaskWatcher = createTaskWatcher(system.tasks, { pollMs: 50, nudgeMs: 0 });
    const seen: (WatchedTask | null)[] = [];
    const unwatch = watcher.watch(randomUUID(), (row) => seen.push(row));
    await waitFor('a first poll', async () => seen.length > 0);

    await database.db.query('ALTER TABLE tasks RENAME TO tasks_away');
    await new Promise((resolve) => setTimeout(resolve, 600));
    const during = seen.length;
    await database.db.query('ALTER TABLE tasks_away RENAME TO tasks');
    await waitFor('polling to deliver again', async () => seen.length > during);

    const failures = lines.filter((l) => l.msg.startsWith('task event watcher'));
    expect(failures.filter((l) => l.level === 40)).toHaveLength(1);
    expect(failures.filter((l) => l.level === 30).map((l) => l.msg)).toEqual(['task event watcher query works again']);

    unwatch();
    await watcher.stop();
    expect(watcher.size).toBe(0);
  });
});
