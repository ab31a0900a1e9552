import { randomInt } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { registerControlRoutes } from './control-routes.js';
import type { FaultRules, KitFaults } from './faults.js';
import { registerFileRoute } from './file-route.js';
import type { Profile, SimJob } from './profile.js';
import { Simulation } from './simulation.js';
import type { CommonOptions, RunningSim } from './types.js';

/** Where the simulator can be reached; known only once it listens. */
export interface SimUrls {
  /** The base of result files and of self links (`publicUrl`, else the listening URL). */
  public(): string;
}

/** A provider's fake: its knobs, its profile, and the API routes that turn requests into simulation calls. */
export interface SimulatorSpec<F extends KitFaults, J extends SimJob, O extends string> {
  rules: FaultRules<F>;
  profile(urls: SimUrls): Profile<J, F, O>;
  routes(app: FastifyInstance, sim: Simulation<F, J>, urls: SimUrls): void;
}

/** Starts a simulator on loopback (by default) and returns the handle tests and the CLI drive it by. */
export async function launchSimulator<F extends KitFaults, J extends SimJob, S, O extends string>(
  options: CommonOptions & object,
  spec: SimulatorSpec<F, J, O>,
): Promise<RunningSim<Partial<F>, S, O>> {
  const { port = 0, host = '127.0.0.1', seed = randomInt(2 ** 31), publicUrl, ...faults } = options;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  let url = '';
  const urls: SimUrls = { public: () => publicUrl?.replace(/\/+$/, '') ?? url };
  const profile = spec.profile(urls);
  const sim = new Simulation(seed, spec.rules, faults, profile);
  const app = Fastify({ logger: false });
  app.setErrorHandler((error: FastifyError, _request, reply) => void profile.problem(reply, error.statusCode ?? 500, error.message));
  spec.routes(app, sim, urls);
  registerFileRoute(app, sim);
  registerControlRoutes(app, sim);
  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  url = `http://${reachableHost(host)}:${boundPort}`;
  return {
    url,
    port: boundPort,
    seed,
    stats: () => sim.stats() as S,
    setFaults: (partial) => sim.setFaults(partial),
    finish: (id, outcome) => void sim.finish(id, profile.outcomes[outcome]),
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
