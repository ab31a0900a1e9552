import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { advanceTask, cancelTask, loadTaskView, submitTask, watchTasks, type TaskDeps, type TaskView } from '../../tasks/index.js';
import { credentialBucket, isOwnerOrAdmin, requireUser } from '../auth/index.js';
import { ApiError, notFound, parseRequest } from '../errors.js';

const MAX_PROMPT = 10_000;
const prompt = z.string().trim().min(1, 'prompt must not be empty').max(MAX_PROMPT);
const modelId = z.string().min(1).max(200);
const inputSchema = z.looseObject({ prompt });

const taskBody = z.strictObject({ type: z.enum(['video', 'image']), model: modelId, input: inputSchema });
const seedBody = z.looseObject({ model: modelId.optional(), prompt });
const taskIdParams = z.object({ taskId: z.uuid() });
const idempotencyKey = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional();

/** A status read more often than this does not ask the provider again. */
const POLL_ADVANCE_INTERVAL_MS = 2_000;

export function registerTaskRoutes(app: FastifyInstance, deps: TaskDeps, submitsPerMinute: number): void {
  const auth = { preHandler: requireUser(deps.db) };
  // One budget per API key across every submission route, checked before authentication so a flood costs no
  // database work.
  const checkSubmitLimit = app.createRateLimit({ max: submitsPerMinute, timeWindow: 60_000, keyGenerator: credentialBucket });
  const submitLimit = {
    preHandler: [
      async (request: FastifyRequest, reply: FastifyReply) => {
        const limit = await checkSubmitLimit(request);
        if (limit.isAllowed || !limit.isExceeded) return;
        reply.header('retry-after', String(limit.ttlInSeconds));
        throw new ApiError(429, 'rate_limited', `Too many submissions from this API key; retry in ${limit.ttlInSeconds} s`);
      },
      auth.preHandler,
    ],
  };

  const submit = async (request: FastifyRequest, type: 'video' | 'image', model: string, input: Record<string, unknown>) => {
    const key = parseRequest(idempotencyKey, request.headers['idempotency-key'], 'header Idempotency-Key');
    const { replayed, ...submitted } = await submitTask(deps, { userId: request.principal!.userId, type, model, input, idempotencyKey: key });
    request.log.info({ taskId: submitted.taskId, replayed, status: submitted.status }, 'task submitted');
    return submitted;
  };

  app.post('/api/v1/tasks', submitLimit, async (request, reply) => {
    const body = parseRequest(taskBody, request.body);
    return reply.status(202).send(await submit(request, body.type, body.model, body.input));
  });

  for (const type of ['video', 'image'] as const) {
    app.post(`/api/v1/generate-${type}`, submitLimit, async (request, reply) => {
      const { model, ...input } = parseRequest(seedBody, request.body);
      return reply.status(202).send(await submit(request, type, model ?? deps.catalog.defaultFor(type).id, input));
    });
  }

  app.get('/api/v1/tasks/:taskId', auth, async (request) => {
    const { userId: _owner, ...view } = await readTask(deps, request);
    return view;
  });

  app.get('/api/v1/video-status/:taskId', auth, async (request) => {
    const view = await readTask(deps, request);
    return {
      status: view.status,
      progress: view.progress,
      ...(view.assetUrl && { videoUrl: view.assetUrl }),
      ...(view.error && { error: view.error.message }),
    };
  });

  app.post('/api/v1/tasks/:taskId/cancel', auth, async (request) => {
    await findVisibleTask(deps, request);
    const result = await cancelTask(deps, taskIdOf(request), request.principal!.role === 'admin' ? 'admin' : 'owner');
    if (!result.canceled) {
      // A completion that committed first wins over the cancel: the user has the result and was charged for it.
      const code = result.task?.status === 'completed' ? 'already_completed' : 'not_cancelable';
      throw new ApiError(409, code, `The task is already ${result.task?.status ?? 'gone'} and cannot be canceled`);
    }
    return { taskId: result.task.id, status: result.task.status, creditsRefunded: result.task.price };
  });
}

function taskIdOf(request: FastifyRequest): string {
  const parsed = taskIdParams.safeParse(request.params);
  if (!parsed.success) throw notFound('No such task');
  return parsed.data.taskId;
}

/** Another user's task answers exactly like a missing one, so task ids reveal nothing. */
async function findVisibleTask(deps: TaskDeps, request: FastifyRequest): Promise<TaskView & { userId: string }> {
  const view = await loadTaskView(deps.db, deps.store, taskIdOf(request));
  if (!view || !isOwnerOrAdmin(request, view.userId)) throw notFound('No such task');
  return view;
}

/** Reading a live task that nobody checked recently asks the provider in-line, so polling clients see progress. */
async function readTask(deps: TaskDeps, request: FastifyRequest): Promise<TaskView & { userId: string }> {
  const view = await findVisibleTask(deps, request);
  if (!(await isDueForPollCheck(deps, view.taskId))) return view;
  await advanceTask(deps, view.taskId, 'poll').catch((err: unknown) =>
    request.log.warn({ err, taskId: view.taskId }, 'in-line advance on status poll failed'),
  );
  return (await loadTaskView(deps.db, deps.store, view.taskId))!;
}

async function isDueForPollCheck(deps: TaskDeps, taskId: string): Promise<boolean> {
  const [task] = await watchTasks(deps.db, [taskId], POLL_ADVANCE_INTERVAL_MS);
  return task?.due === true;
}
