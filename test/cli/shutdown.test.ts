import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/cli.js';

/**
 * An orchestrator may send SIGTERM while a process is still starting (here: stuck connecting to a database that
 * accepts the connection and never answers). That is a clean stop, exit 0, not a death by signal.
 */
describe('SIGTERM during start-up', () => {
  let silentDatabase: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silentDatabase?.close(resolve));
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
});
