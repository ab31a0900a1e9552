import { randomInt } from 'node:crypto';
import Fastify, { type FastifyError } from 'fastify';
import { registerApiRoutes } from './api-routes.js';
import { registerControlRoutes } from './control-routes.js';
import { registerFileRoutes } from './file-routes.js';
import { Simulation } from './simulation.js';
import type { RunningSimulator, SimulatorOptions } from './types.js';

/** Starts a KIE-compatible fake provider (see DESIGN.md section 9). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const { port = 0, host = '127.0.0.1', seed = randomInt(2 ** 31), publicUrl, ...faults } = options;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  let url = '';
  const sim = new Simulation(seed, faults, () => publicUrl?.replace(/\/+$/, '') ?? url);
  const app = Fastify({ logger: false });
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500;
    void reply.code(status).send({ code: status, msg: error.message, data: null });
  });
  registerApiRoutes(app, sim);
  registerFileRoutes(app, sim);
  registerControlRoutes(app, sim);
  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  url = `http://${reachableHost(host)}:${boundPort}`;
  return {
    url,
    port: boundPort,
    seed,
    stats: () => sim.stats(),
    setFaults: (partial) => sim.setFaults(partial),
    finish: (providerTaskId, outcome) => sim.finish(providerTaskId, outcome),
    async close() {
      await sim.close();
      await app.close();
    },
  };
}

/** A wildcard bind address is not something a client can connect to. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
