import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';

/** What an operator who sets STORAGE_DIR=/x/assets expects: the files under /x/assets, served under /assets/. */
describe('STORAGE_DIR on the local disk', () => {
  const parent = mkdtempSync(join(tmpdir(), 'settle-storage-dir-'));
  const storageDir = join(parent, 'assets');
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { STORAGE_DIR: storageDir } });
  });
  afterAll(async () => {
    await h.close();
    rmSync(parent, { recursive: true, force: true });
  });

  it('stores a result directly under STORAGE_DIR (not STORAGE_DIR/assets), and serves it at /assets/…', async () => {
    const { apiKey } = await h.user(100);
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', { type: 'image', model: 'google/nano-banana', input: { prompt: 'a lighthouse' } });
    expect(submitted.status).toBe(202);
    const done = await waitFor('the task to complete', async () => {
      const res = await h.api(apiKey, 'GET', `/api/v1/tasks/${submitted.body.taskId}`);
      return res.body.status === 'completed' ? res.body : undefined;
    });
    const { pathname } = new URL(done.assetUrl);
    expect(pathname).toMatch(/^\/assets\//);
    const onDisk = join(storageDir, pathname.slice('/assets/'.length));
    expect(existsSync(onDisk)).toBe(true);
    expect(existsSync(join(storageDir, 'assets'))).toBe(false);
    expect(readdirSync(parent)).toEqual(['assets']);
    const served = Buffer.from(await (await fetch(done.assetUrl)).arrayBuffer());
    expect(served.equals(readFileSync(onDisk))).toBe(true);
  });

  it('still serves a file an earlier version stored under STORAGE_DIR/assets/', async () => {
    const { apiKey } = await h.user(100);
    const submitted = await h.api(apiKey, 'POST', '/api/v1/tasks', { type: 'image', model: 'google/nano-banana', input: { prompt: 'an earlier file' } });
    const done = await waitFor('the task to complete', async () => {
      const res = await h.api(apiKey, 'GET', `/api/v1/tasks/${submitted.body.taskId}`);
      return res.body.status === 'completed' ? res.body : undefined;
    });
    // The same delivered file, where an earlier version kept it (STORAGE_DIR/assets/<prefix>/<name>).
    const relative = new URL(done.assetUrl).pathname.slice('/assets/'.length);
    const bytes = readFileSync(join(storageDir, relative));
    mkdirSync(join(storageDir, 'assets', relative.split('/')[0]!), { recursive: true });
    renameSync(join(storageDir, relative), join(storageDir, 'assets', relative));
    const res = await fetch(done.assetUrl);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });
});
