import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SimUrls } from '../kit/launch.js';
import { modelType } from '../kit/models.js';
import type { Simulation } from '../kit/simulation.js';
import type { KieFaults } from './faults.js';
import { recordOf } from './record.js';
import type { KieTask } from './task.js';

export type KieSimulation = Simulation<KieFaults, KieTask>;

/** An answer in KIE's envelope: HTTP 200 with the code in the body. */
export interface KieError {
  code: number;
  msg: string;
  retryAfterMs?: number;
}

const TRANSIENT: readonly [KieError, KieError] = [
  { code: 500, msg: 'Server Error' },
  { code: 455, msg: 'Service Unavailable' },
];

const createTaskSchema = z.object({
  model: z.string({ error: 'model is required' }).min(1, 'model is required'),
  callBackUrl: z.url({ error: 'callBackUrl must be a URL' }).optional(),
  input: z.looseObject({ prompt: z.string({ error: 'input.prompt is required' }).min(1, 'input.prompt is required') }, {
    error: 'input is required',
  }),
});

export function sendKieError(reply: FastifyReply, error: KieError) {
  if (error.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  return reply.send({ code: error.code, msg: error.msg, data: null });
}

/** The KIE market jobs API: createTask, recordInfo, and the account's credit balance. */
export function registerKieRoutes(app: FastifyInstance, sim: KieSimulation, urls: SimUrls): void {
  const unauthorized = (request: FastifyRequest): KieError | undefined => {
    const key = sim.faults.apiKey;
    if (!key || request.headers.authorization === `Bearer ${key}`) return undefined;
    return { code: 401, msg: 'You do not have access permissions' };
  };
  const throttled = (): KieError | undefined => {
    const retryAfterMs = sim.throttled();
    return retryAfterMs === undefined ? undefined : { code: 429, msg: 'Too many requests, please slow down', retryAfterMs };
  };

  app.post('/api/v1/jobs/createTask', async (request, reply) => {
    const refused = unauthorized(request) ?? sim.injectedError(TRANSIENT) ?? throttled();
    if (refused) return sendKieError(reply, refused);
    const parsed = createTaskSchema.safeParse(request.body);
    if (!parsed.success) return sendKieError(reply, { code: 422, msg: parsed.error.issues[0]!.message });
    const { model, callBackUrl } = parsed.data;
    const type = modelType(model);
    if (!type) return sendKieError(reply, { code: 422, msg: `model not supported: ${model}` });
    const id = randomBytes(16).toString('hex');
    sim.accept({ id, model, type, callBackUrl, param: JSON.stringify(request.body) });
    return { code: 200, msg: 'success', data: { taskId: id } };
  });

  app.get<{ Querystring: { taskId?: string } }>('/api/v1/jobs/recordInfo', async (request, reply) => {
    const refused = unauthorized(request) ?? sim.injectedError(TRANSIENT);
    if (refused) return sendKieError(reply, refused);
    sim.countStatusCheck();
    const task = sim.jobs.get(request.query.taskId ?? '');
    if (!task) return sendKieError(reply, { code: 422, msg: 'recordInfo is null' });
    // KIE's documented recordInfo answer says `message` where the other endpoints say `msg`.
    return { code: 200, message: 'success', data: recordOf(task, Date.now(), urls.public()) };
  });

  app.get('/api/v1/chat/credit', async (request, reply) => {
    const refused = unauthorized(request);
    if (refused) return sendKieError(reply, refused);
    return { code: 200, msg: 'success', data: 100_000 };
  });
}
