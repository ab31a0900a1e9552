import { randomInt } from 'node:crypto';
import Fastify, { type FastifyError } from 'fastify';
import { registerReplicateRoutes } from './routes.js';
import { ReplicateSimulation } from './simulation.js';
import type { ReplicateSimulatorOptions, RunningReplicateSimulator } from './types.js';

/** Starts a Replicate-compatible fake provider: predictions API, signed webhooks, output files, fault knobs. */
export async function startReplicateSimulator(options: ReplicateSimulatorOptions = {}): Promise<RunningReplicateSimulator> {
  const { port = 0, host = '127.0.0.1', seed = randomInt(2 ** 31), publicUrl, ...faults } = options;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  let url = '';
  const sim = new ReplicateSimulation(seed, faults, () => publicUrl?.replace(/\/+$/, '') ?? url);
  const app = Fastify({ logger: false });
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500;
    void reply.code(status).type('application/problem+json').send({ title: error.name, detail: error.message, status });
  });
  registerReplicateRoutes(app, sim);
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
    finish: (predictionId, outcome) => sim.finish(predictionId, outcome),
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
