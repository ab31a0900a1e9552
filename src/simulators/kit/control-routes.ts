import type { FastifyInstance } from 'fastify';
import type { KitFaults } from './faults.js';
import type { SimJob } from './profile.js';
import type { Simulation } from './simulation.js';

/** For tests and demos driving a simulator in another process. Unauthenticated: the simulator is a test tool. */
export function registerControlRoutes<F extends KitFaults, J extends SimJob>(
  app: FastifyInstance,
  sim: Simulation<F, J>,
  applyFaults: (update: unknown) => Promise<void>,
): void {
  const { profile } = sim;
  app.get('/sim/stats', async () => sim.stats());

  app.get<{ Querystring: { windowMs?: string } }>('/sim/log', async (request, reply) => {
    const { windowMs } = request.query;
    if (windowMs === undefined) return sim.ledger.log();
    if (!/^[1-9]\d{0,9}$/.test(windowMs)) return reply.code(400).send({ error: 'windowMs must be a whole number of milliseconds above 0' });
    const calls = sim.ledger.mostCreateCallsInWindow(Number(windowMs));
    return { ...sim.ledger.log(), mostCreateCallsInWindow: { windowMs: Number(windowMs), calls } };
  });

  app.post('/sim/faults', async (request, reply) => {
    try {
      await applyFaults(request.body);
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    const shown: Record<string, unknown> = { ...sim.faults };
    for (const knob of profile.secretKnobs) shown[knob] = shown[knob] ? 'set' : undefined;
    return shown;
  });

  const outcomes = Object.keys(profile.outcomes);
  const outcomeError = `outcome must be ${outcomes.map((o) => `"${o}"`).join(', ').replace(/, ([^,]*)$/, ' or $1')}`;
  app.post<{ Params: { id: string }; Body: { outcome?: unknown } }>(`/sim/${profile.noun}s/:id/finish`, async (request, reply) => {
    const outcome = request.body?.outcome;
    if (typeof outcome !== 'string' || !outcomes.includes(outcome)) return reply.code(400).send({ error: outcomeError });
    const job = sim.jobs.get(request.params.id);
    if (!job) return reply.code(404).send({ error: `unknown ${profile.noun}` });
    return profile.finished(sim.finish(job.id, profile.outcomes[outcome]!));
  });
}
