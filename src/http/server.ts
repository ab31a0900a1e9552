import type { FastifyInstance } from 'fastify';
import type { System } from '../app/system.js';
import { buildApp } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 5_000;

export async function startServer(system: System, port = system.config.port, host = system.config.host): Promise<RunningServer> {
  const app = await buildApp(system);
  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    app,
    url: `http://localhost:${boundPort}`,
    /** Stops accepting, lets requests in flight finish for a grace period, then cuts whatever connection is left. */
    async close() {
      const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      await app.close();
      clearTimeout(cut);
    },
  };
}
