import type { FastifyInstance } from 'fastify';
import { readClock } from './clock.js';
import type { KitFaults } from './faults.js';
import { contentType } from './models.js';
import type { SimJob } from './profile.js';
import { mediaFile } from './media.js';
import { bufferFile, generatedFile, resultBody } from './result-file.js';
import type { Simulation } from './simulation.js';

/**
 * Result files, as a provider's file CDN serves them: only once the job succeeded, and without the API key. Served on
 * every address the simulator listens on, so a result URL naming another host (resultHost) still downloads.
 */
export function registerFileRoute<F extends KitFaults, J extends SimJob>(app: FastifyInstance, sim: Simulation<F, J>): void {
  app.get<{ Params: { id: string; name: string } }>('/files/:id/:name', async (request, reply) => {
    const job = sim.jobs.get(request.params.id);
    const ready = job && readClock(job, Date.now()).ending === 'success';
    if (!job || !ready || request.params.name !== sim.profile.fileName(job)) return sim.profile.problem(reply, 404, 'file not found');
    sim.countDownload(job.id);
    const { resultBytes, downloadDelayMs, downloadBytesPerSecond } = sim.faults;
    const file = resultBytes === null ? bufferFile(mediaFile(job.type)) : generatedFile(job.id, job.type, resultBytes);
    return reply
      .header('content-type', contentType(job.type))
      .header('content-length', String(file.size))
      .send(resultBody(file, { delayMs: downloadDelayMs, bytesPerSecond: downloadBytesPerSecond }));
  });
}
