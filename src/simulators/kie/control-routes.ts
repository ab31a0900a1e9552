import type { FastifyInstance } from 'fastify';
import type { Simulation } from './simulation.js';

/** For tests and demos driving a simulator in another process. Unauthenticated: the simulator is a test tool. */
export function registerControlRoutes(app: FastifyInstance, sim: Simulation): void {
  app.get('/sim/stats', async () => sim.stats());

  app.post('/sim/faults', async (request, reply) => {
    try {
      sim.setFaults(request.body);
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    const { apiKey, callbackHmacKey, ...faults } = sim.faults;
    return { ...faults, apiKey: apiKey ? 'set' : undefined, callbackHmacKey: callbackHmacKey ? 'set' : undefined };
  });

  app.post<{ Params: { providerTaskId: string }; Body: { outcome?: unknown } }>(
    '/sim/tasks/:providerTaskId/finish',
    async (request, reply) => {
      const { outcome } = request.body ?? {};
      if (outcome !== 'success' && outcome !== 'fail') {
        return reply.code(400).send({ error: 'outcome must be "success" or "fail"' });
      }
      const task = sim.tasks.get(request.params.providerTaskId);
      if (!task) return reply.code(404).send({ error: 'unknown task' });
      sim.finish(task.id, outcome);
      return { taskId: task.id, state: sim.record(task).state };
    },
  );
}
