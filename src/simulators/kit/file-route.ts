import type { FastifyInstance } from 'fastify';
import { readClock } from './clock.js';
import type { KitFaults } from './faults.js';
import { contentType } from './models.js';
import type { SimJob } from './profile.js';
import { resultFileStream, smallResultFile } from './result-file.js';
import type { Simulation } from './simulation.js';

/** Result files, as a provider's file CDN serves them: only once the job succeeded, and without the API key. */
export function registerFileRoute<F extends KitFaults, J extends SimJob>(app: FastifyInstance, sim: Simulation<F, J>): void {
  app.get<{ Params: { id: string; name: string } }>('/files/:id/:name', async (request, reply) => {
    const job = sim.jobs.get(request.params.id);
    const ready = job && readClock(job, Date.now()).ending === 'success';
    if (!job || !ready || request.params.name !== sim.profile.fileName(job)) return sim.profile.problem(reply, 404, 'file not found');
    sim.countDownload();
    const { resultBytes, downloadDelayMs } = sim.faults;
    const whole = downloadDelayMs === 0 ? smallResultFile(job.id, job.type, resultBytes) : null;
    return reply
      .header('content-type', contentType(job.type))
      .header('content-length', String(resultBytes))
      .send(whole ?? resultFileStream(job.id, job.type, resultBytes, downloadDelayMs));
  });
}
