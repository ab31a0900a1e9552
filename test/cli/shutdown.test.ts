import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/cli.js';
import { freePort, waitFor } from '../helpers/net.js';

const EARLY_EXIT_PATH = join(dirname(CLI_PATH), 'earlyExit.js');
const ANNOUNCE = fileURLToPath(new URL('../helpers/announceSignalListeners.mjs', import.meta.url));

/**
 * Starts `settle serve` (against a database nobody answers on) and sends it SIGTERM the moment it has installed its
 * first SIGTERM listener, which main.ts does before it loads the commands.
 */
async function sigtermWhileLoading(): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; listenerFrom: string }> {
  const child = spawn(process.execPath, ['--import', ANNOUNCE, CLI_PATH, 'serve'], {
    env: { PATH: process.env.PATH, PORT: '0', DATABASE_URL: 'postgres://settle@127.0.0.1:9/settle' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const [listenerFrom] = (await once(child.stdio[3] as Readable, 'data')) as [Buffer];
  const before = output;
  child.kill('SIGTERM');
  const [code, signal] = await exited;
  return { code, signal, output: before, listenerFrom: listenerFrom.toString().trim() };
}

/**
 * An orchestrator may send SIGTERM while a process is still starting (here: stuck connecting to a database that
 * accepts the connection and never answers). That is a clean stop, exit 0, not a death by signal.
 */
describe('SIGTERM during start-up', () => {
  let silentDatabase: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => (silentDatabase ? silentDatabase.close(resolve) : resolve(undefined)));
    silentDatabase = undefined;
  });

  it.each(['serve', 'worker'])('`settle %s` exits 0', async (command) => {
    silentDatabase = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silentDatabase!.listen(0, '127.0.0.1', resolve));
    const port = (silentDatabase.address() as { port: number }).port;
    const connected = once(silentDatabase, 'connection');

    const child = spawn(process.execPath, [CLI_PATH, command], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', DATABASE_URL: `postgres://settle@127.0.0.1:${port}/settle`, PORT: '0', KIE_API_KEY: 'x' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    await connected;
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    expect(output).toContain('shutting down');
  });

  it('a SIGTERM while the commands are still loading exits 0 too', async () => {
    const attempt = await sigtermWhileLoading();
    expect(attempt.listenerFrom, 'the first SIGTERM listener must be the early exit, before the commands load').toBe(EARLY_EXIT_PATH);
    expect(attempt.output, 'the signal was meant to land before anything was logged').toBe('');
    expect({ code: attempt.code, signal: attempt.signal }).toEqual({ code: 0, signal: null });
  });

  it('`settle demo` is never without a SIGTERM handler from its first moment until it serves, and then stops cleanly', async () => {
    // The demo starts its simulator before the system: a signal between main.ts's early exit and the graceful stop
    // would kill it by signal. The listeners are watched, not raced, so this holds on a loaded machine too.
    const dataDir = mkdtempSync(join(tmpdir(), 'settle-demo-signals-'));
    const child = spawn(process.execPath, ['--import', ANNOUNCE, CLI_PATH, 'demo', '--port', String(await freePort())], {
      env: { PATH: process.env.PATH, SETTLE_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let announced = '';
    child.stdout!.on('data', (d: Buffer) => (output += d));
    child.stderr!.on('data', (d: Buffer) => (output += d));
    (child.stdio[3] as Readable).on('data', (d: Buffer) => (announced += d));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await waitFor('the demo banner', async () => output.includes('Press Ctrl+C'), 60_000);
      expect(announced.split('\n').filter((line) => line.startsWith('gap '))).toEqual([]);
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal }, output).toEqual({ code: 0, signal: null });
      expect(output).toContain('shutting down');
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
