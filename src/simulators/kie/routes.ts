import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TaskType } from '../../providers/types.js';
import { answerDue, settleTaskIdOf } from '../kit/answer.js';
import type { SimUrls } from '../kit/launch.js';
import { modelType } from '../kit/models.js';
import type { Simulation } from '../kit/simulation.js';
import { accountRefusal, chargeAccount } from './account.js';
import { sendKieError, TRANSIENT, type KieError } from './envelope.js';
import type { KieFaults } from './faults.js';
import { recordOf, resultUrlOf } from './record.js';
import type { KieTask } from './task.js';

export type KieSimulation = Simulation<KieFaults, KieTask>;

const createTaskSchema = z.object({
  model: z.string({ error: 'model is required' }).min(1, 'model is required'),
  callBackUrl: z.url({ error: 'callBackUrl must be a URL' }).optional(),
  input: z.looseObject({ prompt: z.string({ error: 'input.prompt is required' }).min(1, 'input.prompt is required') }, {
    error: 'input is required',
  }),
});

interface NewTask {
  model: string;
  type: TaskType;
  callBackUrl?: string;
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

  /** KIE's checks in the order it answers them; the task to create when all pass. */
  const check = (request: FastifyRequest, settleTaskId: string | null): KieError | NewTask => {
    const refused = unauthorized(request) ?? sim.injectedError(TRANSIENT) ?? throttled();
    if (refused) return refused;
    const parsed = createTaskSchema.safeParse(request.body);
    if (!parsed.success) return { code: 422, msg: parsed.error.issues[0]!.message };
    const { model, callBackUrl } = parsed.data;
    const type = modelType(model);
    if (!type) return { code: 422, msg: `model not supported: ${model}` };
    return accountRefusal(sim.faults) ?? sim.refusedResubmission(settleTaskId, TRANSIENT) ?? { model, type, callBackUrl };
  };

  app.post('/api/v1/jobs/createTask', async (request, reply) => {
    const settleTaskId = settleTaskIdOf(request.body, 'callBackUrl');
    const checked = check(request, settleTaskId);
    if ('code' in checked) {
      sim.refuse(settleTaskId, checked.code);
      return sendKieError(reply, checked);
    }
    // 32 hex digits, as before, from randomUUID's buffered pool (a quarter of randomBytes(16)'s cost).
    const id = randomUUID().replaceAll('-', '');
    const param = JSON.stringify(request.body);
    const { model, type, callBackUrl } = checked;
    const { answer } = sim.accept(settleTaskId, 200, { id, model, type, callBackUrl, param, consumeCredits: chargeAccount(sim.faults) });
    if (!(await answerDue(sim, request, reply, answer))) return reply;
    return { code: 200, msg: 'success', data: { taskId: id } };
  });

  app.get<{ Querystring: { taskId?: string } }>('/api/v1/jobs/recordInfo', async (request, reply) => {
    const refused = unauthorized(request) ?? sim.injectedError(TRANSIENT);
    if (refused) return sendKieError(reply, refused);
    sim.countStatusCheck();
    const task = sim.jobs.get(request.query.taskId ?? '');
    if (!task) return sendKieError(reply, { code: 422, msg: 'recordInfo is null' });
    // KIE's documented recordInfo answer says `message` where the other endpoints say `msg`.
    return { code: 200, message: 'success', data: recordOf(task, Date.now(), resultUrlOf(task, urls, sim.faults)) };
  });

  app.get('/api/v1/chat/credit', async (request, reply) => {
    const refused = unauthorized(request);
    if (refused) return sendKieError(reply, refused);
    return { code: 200, msg: 'success', data: sim.faults.accountCredits };
  });
}
