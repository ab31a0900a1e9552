import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

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

  it('serves a stored asset as its type, with nosniff', async () => {
    const ok = await rawRequest(h.url, 'GET', '/assets/ab/abcd-0.mp4');
    expect(ok).toMatchObject({ status: 200, body: 'a video' });
    expect(ok.headers['content-type']).toBe('video/mp4');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
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
