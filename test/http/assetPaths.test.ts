import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request whose path goes out exactly as written (fetch would resolve `..` and `%2e%2e` before sending). */
function rawRequest(base: string, method: 'GET' | 'HEAD', path: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SECRET = 'contents of a file that is not an asset';
const OUTSIDE = 'contents of a file beside the storage directory';

describe('GET /assets/* serves assets and nothing else from STORAGE_DIR', () => {
  let h: Harness;
  let parent: string;
  beforeAll(async () => {
    // STORAGE_DIR holds other things besides assets/ (as the data directory holds pgdata/), and has a sibling file.
    parent = mkdtempSync(join(tmpdir(), 'settle-asset-paths-'));
    const storage = join(parent, 'storage');
    mkdirSync(join(storage, 'assets', 'ab'), { recursive: true });
    mkdirSync(join(storage, 'pgdata'));
    writeFileSync(join(storage, 'secret.txt'), SECRET);
    writeFileSync(join(storage, 'pgdata', 'PG_VERSION'), SECRET);
    writeFileSync(join(parent, 'sibling.txt'), OUTSIDE);
    writeFileSync(join(storage, 'assets', 'ab', 'abcd-0.mp4'), 'a video');
    h = await startHarness({ env: { STORAGE_DIR: storage } });
  });
  afterAll(async () => {
    await h?.close();
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it('serves a delivered asset as its type, with nosniff', async () => {
    const { apiKey } = await h.user(100);
    const { taskId } = (await h.api(apiKey, 'POST', '/api/v1/tasks', { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a fox' } })).body;
    const task = await waitFor('the task to complete', async () => {
      const view = (await h.api(apiKey, 'GET', `/api/v1/tasks/${taskId}`)).body;
      return view.status === 'completed' ? view : undefined;
    });
    const ok = await rawRequest(h.url, 'GET', new URL(task.assetUrl).pathname);
    expect(ok.status).toBe(200);
    expect(ok.body.length).toBeGreaterThan(0);
    expect(ok.headers['content-type']).toBe('video/mp4');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
  });

  it('a file in the assets folder that no delivered task links is a 404, as if it were not there', async () => {
    const unlinked = await rawRequest(h.url, 'GET', '/assets/ab/abcd-0.mp4');
    expect(unlinked).toMatchObject({ status: 404 });
    expect(unlinked.body).not.toContain('a video');
  });

  it.each([
    '/assets/..%2fsecret.txt',
    '/assets/..%2Fsecret.txt',
    '/assets/%2e%2e%2fsecret.txt',
    '/assets/%2E%2E/secret.txt',
    '/assets/../secret.txt',
    '/assets/ab/..%2f..%2fsecret.txt',
    '/assets/..%2fpgdata%2fPG_VERSION',
    '/assets/..%2f..%2fsibling.txt',
    '/assets/..%5csecret.txt',
    '/assets/..\\secret.txt',
    '/assets/ab%5c..%5c..%5csecret.txt',
    '/assets/ab/abcd-0.mp4%00.txt',
    '/assets/ab/./abcd-0.mp4',
    '/assets/ab//abcd-0.mp4',
    '/assets/',
    '/assets/ab',
  ])('%s is a 404 with nosniff, and leaks nothing', async (path) => {
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await rawRequest(h.url, method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body).not.toContain(SECRET);
      expect(res.body).not.toContain(OUTSIDE);
    }
  });
});
