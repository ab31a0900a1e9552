import { randomInt } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { registerControlRoutes } from './control-routes.js';
import type { FaultRules, KitFaults } from './faults.js';
import { registerFileRoute } from './file-route.js';
import { createMirrors } from './mirrors.js';
import type { Profile, SimJob } from './profile.js';
import { Simulation } from './simulation.js';
import type { CommonOptions, RunningSim } from './types.js';

/** Where the simulator can be reached; known only once it listens. */
export interface SimUrls {
  /** The base of self links (`publicUrl`, else the listening URL). */
  public(): string;
  /** A result file's URL: `resultUrl` verbatim, else `path` on `resultHost` (same port) or on the public URL. */
  result(faults: KitFaults, path: string): string;
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
  let boundPort = port;
  const urls: SimUrls = {
    public: () => publicUrl?.replace(/\/+$/, '') ?? url,
    result: ({ resultUrl, resultHost }, path) => {
      if (resultUrl) return resultUrl;
      return resultHost ? `http://${urlHost(resultHost)}:${boundPort}${path}` : `${urls.public()}${path}`;
    },
  };
  const profile = spec.profile(urls);
  const sim = new Simulation(seed, spec.rules, faults, profile);
  // Closing a simulator ends what it is doing: downloads in flight and kept-alive connections included.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const mirrors = createMirrors(app, host);
  const applyFaults = async (update: unknown) => {
    const previous = sim.faults;
    sim.setFaults(update);
    await mirrors.serve(sim.faults.resultHost, boundPort).catch((err: unknown) => {
      sim.faults = previous;
      throw err;
    });
  };
  app.setErrorHandler((error: FastifyError, _request, reply) => void profile.problem(reply, error.statusCode ?? 500, error.message));
  spec.routes(app, sim, urls);
  registerFileRoute(app, sim);
  registerControlRoutes(app, sim, applyFaults);
  await app.listen({ port, host });
  const address = app.server.address();
  boundPort = typeof address === 'object' && address ? address.port : port;
  url = `http://${urlHost(reachableHost(host))}:${boundPort}`;
  await mirrors.serve(sim.faults.resultHost, boundPort).catch(async (err: unknown) => {
    await app.close();
    throw err;
  });
  return {
    url,
    port: boundPort,
    seed,
    stats: () => sim.stats() as S,
    setFaults(partial) {
      sim.setFaults(partial);
      // A new resultHost address is listened on in the background; POST /sim/faults waits for it instead.
      mirrors.serve(sim.faults.resultHost, boundPort).catch((err: Error) => console.error(`simulator: ${err.message}`));
    },
    finish: (id, outcome) => void sim.finish(id, profile.outcomes[outcome]),
    log: () => sim.ledger.log(),
    mostCreateCallsInWindow: (windowMs) => sim.ledger.mostCreateCallsInWindow(windowMs),
    async close() {
      await sim.close();
      await mirrors.close();
      await app.close();
    },
  };
}

/** A wildcard bind address is not something a client can connect to. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  return host === '::' ? '::1' : host;
}

/** An IPv6 address goes in brackets in a URL. */
const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);
