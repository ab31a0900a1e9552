import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiError, Simulation } from './simulation.js';

const createTaskSchema = z.object({
  model: z.string({ error: 'model is required' }).min(1, 'model is required'),
  callBackUrl: z.url({ error: 'callBackUrl must be a URL' }).optional(),
  input: z.looseObject({ prompt: z.string({ error: 'input.prompt is required' }).min(1, 'input.prompt is required') }, {
    error: 'input is required',
  }),
});

/** KIE answers errors as HTTP 200 with the code in the body. */
function sendError(reply: FastifyReply, error: ApiError) {
  if (error.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  return reply.send({ code: error.code, msg: error.msg, data: null });
}

/** The KIE market jobs API: createTask, recordInfo, and the account's credit balance. */
export function registerApiRoutes(app: FastifyInstance, sim: Simulation): void {
  const unauthorized = (request: FastifyRequest): ApiError | undefined => {
    const key = sim.faults.apiKey;
    if (!key || request.headers.authorization === `Bearer ${key}`) return undefined;
    return { code: 401, msg: 'You do not have access permissions' };
  };

  app.post('/api/v1/jobs/createTask', async (request, reply) => {
    const refused = unauthorized(request) ?? sim.injectedError() ?? sim.rateLimited();
    if (refused) return sendError(reply, refused);
    const parsed = createTaskSchema.safeParse(request.body);
    if (!parsed.success) return sendError(reply, { code: 422, msg: parsed.error.issues[0]!.message });
    const created = sim.createTask(parsed.data);
    if ('code' in created) return sendError(reply, created);
    return { code: 200, msg: 'success', data: { taskId: created.id } };
  });

  app.get<{ Querystring: { taskId?: string } }>('/api/v1/jobs/recordInfo', async (request, reply) => {
    const refused = unauthorized(request) ?? sim.injectedError();
    if (refused) return sendError(reply, refused);
    sim.countStatusCheck();
    const task = sim.tasks.get(request.query.taskId ?? '');
    if (!task) return sendError(reply, { code: 422, msg: 'recordInfo is null' });
    // KIE's documented recordInfo answer says `message` where the other endpoints say `msg`.
    return { code: 200, message: 'success', data: sim.record(task) };
  });

  app.get('/api/v1/chat/credit', async (request, reply) => {
    const refused = unauthorized(request);
    if (refused) return sendError(reply, refused);
    return { code: 200, msg: 'success', data: 100_000 };
  });
}
