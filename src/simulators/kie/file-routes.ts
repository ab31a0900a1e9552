import type { FastifyInstance } from 'fastify';
import { contentType, fileExtension } from './models.js';
import { resultFileStream, smallResultFile } from './result-file.js';
import type { Simulation } from './simulation.js';
import { viewTask } from './task.js';

/** Result files, as KIE's file CDN serves them: only once the task succeeded, and without the API key. */
export function registerFileRoutes(app: FastifyInstance, sim: Simulation): void {
  app.get<{ Params: { taskId: string; name: string } }>('/files/:taskId/:name', async (request, reply) => {
    const task = sim.tasks.get(request.params.taskId);
    const ready = task && viewTask(task, Date.now()).state === 'success';
    if (!task || !ready || request.params.name !== `0.${fileExtension(task.type)}`) {
      return reply.code(404).send({ code: 404, msg: 'file not found' });
    }
    sim.countDownload();
    const { resultBytes, downloadDelayMs } = sim.faults;
    return reply
      .header('content-type', contentType(task.type))
      .header('content-length', String(resultBytes))
      .send((downloadDelayMs === 0 && smallResultFile(task.id, task.type, resultBytes)) || resultFileStream(task.id, task.type, resultBytes, downloadDelayMs));
  });
}
