import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Provider, ProviderStatus } from '../../src/providers/index.js';
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
