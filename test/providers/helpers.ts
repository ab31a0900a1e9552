import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { ProviderError, type Provider, type ProviderStatus } from '../../src/providers/index.js';
import { waitFor } from '../helpers/net.js';

export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A bare HTTP server on loopback, for answers the simulator never gives (real HTTP errors, silence). */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startRawServer(handler: Handler): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = await startRawServer(() => undefined);
  await server.close();
  return server.port;
}

// Listens with a backlog of 1, says its port (a pipe write, synchronous on Linux), then blocks its event loop for
// good before it can accept anything.
const NEVER_ACCEPTS = `const s = require('net').createServer();
s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(s.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});`;

/** More connections than a backlog of 1 queues (two, on Linux): the rest wait, and keep the queue full. */
const FILLERS = 8;

/**
 * A host whose connections never complete, as behind a firewall that drops SYNs: a process that listens and never
 * accepts, its accept queue filled, so the kernel ignores every further SYN and the connect() waits. The fillers'
 * SYNs all leave before the first of them is seen connected, so the queue is full when this returns.
 */
export async function startSilentHost(): Promise<TestServer> {
  const child = spawn(process.execPath, ['-e', NEVER_ACCEPTS], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(String(line).trim());
  const fillers: Socket[] = Array.from({ length: FILLERS }, () => connect(port, '127.0.0.1'));
  await Promise.race(fillers.map((socket) => once(socket, 'connect')));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

/** The ProviderError a call failed with; anything else (an answer, another error) fails the test. */
export async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`);
  return err;
}

/** Polls until the task leaves `running`. */
export function terminalStatus(provider: Provider, providerTaskId: string): Promise<ProviderStatus> {
  return waitFor(`provider task ${providerTaskId} to leave running`, async () => {
    const status = await provider.status(providerTaskId);
    return status.state !== 'running' && status;
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const videoRequest = (taskId = 'task-1') => ({
  taskId,
  model: 'sora-2-text-to-video',
  input: { prompt: 'a lighthouse in a storm' },
});
