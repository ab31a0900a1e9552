import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH, runCli } from '../helpers/cli.js';
import { freePort, waitFor } from '../helpers/net.js';

/** Every file under dir with its size and modification time: what a refused process must leave as it was. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const info = statSync(path);
      return `${path} ${info.size} ${info.mtimeMs}`;
    })
    .sort();
}

describe('one process per embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'settle-lock-'));
  let demo: ChildProcess | undefined;
  afterAll(() => {
    demo?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a second process on the directory of a running demo refuses with the holder\'s pid and writes nothing', async () => {
    const env = { SETTLE_DATA_DIR: dataDir };
    demo = spawn(process.execPath, [CLI_PATH, 'demo', '--port', String(await freePort())], {
      // No scheduled runs: the demo then writes nothing while idle, so any change to its files is the refused process's.
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', RECONCILE_CRON: 'off', CLEANUP_CRON: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    demo.stdout!.on('data', (d: Buffer) => (out += d));
    demo.stderr!.on('data', (d: Buffer) => (out += d));
    await waitFor('the demo banner', async () => out.includes('Press Ctrl+C'), 30_000);

    const before = snapshot(join(dataDir, 'pgdata'));
    const refused = await runCli(['users', 'create', '--email', 'late@example.com', '--credits', '5'], env);
    expect(refused.code).toBe(1);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^settle: the embedded database in .*pgdata is in use by process ${demo.pid} \\(settle demo --port \\d+, since .*\\); stop it first`));
    expect(refused.stdout).toBe('');
    expect(snapshot(join(dataDir, 'pgdata'))).toEqual(before);

    const exited = new Promise<number | null>((resolve) => demo!.once('exit', resolve));
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, 'pgdata.lock'))).toBe(false);

    // Had the refused process written its user, this would answer "already exists".
    const after = await runCli(['users', 'create', '--email', 'late@example.com', '--credits', '5', '--json'], env);
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ email: 'late@example.com' });
  });

  it('takes over the lock of a process that is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'settle-stale-'));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'pgdata.lock'), JSON.stringify({ pid: 2 ** 22 + 1, command: 'settle demo', since: '2020-01-01T00:00:00.000Z' }));
      const created = await runCli(['users', 'create', '--email', 'after-crash@example.com', '--json'], { SETTLE_DATA_DIR: dir });
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      expect(existsSync(join(dir, 'pgdata.lock'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
