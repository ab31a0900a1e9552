import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/cli.js';
import { freePort, waitFor } from '../helpers/net.js';

/** What a newcomer does after `npm run demo`: paste the printed curl, poll, download the video. */
describe('settle demo', () => {
  let child: ChildProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'settle-demo-'));
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints working keys and a curl whose video completes and downloads', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [CLI_PATH, 'demo', '--port', String(port)], {
      env: { PATH: process.env.PATH, SETTLE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (out += d));
    await waitFor('the demo banner', async () => out.includes('Press Ctrl+C'), 30_000);

    const curl = out.split('\n').find((line) => line.trim().startsWith('curl -s -X POST'))!.trim();
    const userKey = /User key\s+(\S+)/.exec(out)![1]!;
    const adminKey = /Admin key\s+(sk_settle_\S+)/.exec(out)![1]!;
    const dashboard = /Dashboard\s+(\S+)/.exec(out)![1]!;
    const signIn = await fetch(dashboard);
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('<form');
    const playground = await fetch(/Playground\s+(\S+)/.exec(out)![1]!);
    expect(playground.status).toBe(200);
    expect(await playground.text()).toContain('<form');
    const adminApi = await fetch(`http://localhost:${port}/api/admin/cron-jobs`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(adminApi.status).toBe(200);

    const submitted = JSON.parse(execFileSync('bash', ['-c', curl], { encoding: 'utf8' }));
    expect(submitted.status).toBe('processing');

    const done = await waitFor('the demo video to complete', async () => {
      const res = await fetch(`http://localhost:${port}/api/v1/tasks/${submitted.taskId}`, { headers: { authorization: `Bearer ${userKey}` } });
      const body = await res.json();
      return ['completed', 'failed'].includes(body.status) ? body : undefined;
    }, 30_000, 500);
    expect(done.status).toBe('completed');
    const asset = await fetch(done.assetUrl);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('video/mp4');
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited, out.slice(-3000)).toBe(0);
  });
});
