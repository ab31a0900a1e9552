import type { FastifyInstance } from 'fastify';
import type { System } from '../system.js';
import { buildApp } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startServer(system: System, port = system.config.port, host = system.config.host): Promise<RunningServer> {
  const app = await buildApp(system);
  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return { app, url: `http://localhost:${boundPort}`, close: () => app.close() };
}
