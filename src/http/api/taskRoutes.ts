import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { advanceTask, cancelTask, listUserTasks, loadTaskView, submitTask, watchTasks, type TaskDeps, type TaskView } from '../../tasks/index.js';
import { credentialBucket, isOwnerOrAdmin, requireUser } from '../auth/index.js';
import { AUTH_ERRORS, BEARER, decodeCursor, encodeCursor, errorResponses, timeIdKey, userRouteHeaders } from '../contract.js';
import { ApiError, notFound } from '../errors.js';
import {
  canceled,
  idempotencyHeaders,
  seedBody,
  submitted,
  taskBody,
  taskIdParams,
  taskListQuery,
  taskView,
  videoStatus,
} from './taskSchemas.js';
import { z } from 'zod';

/** A status read more often than this does not ask the provider again. */
const POLL_ADVANCE_INTERVAL_MS = 2_000;

const SUBMIT_ERRORS = errorResponses(...AUTH_ERRORS, 402, 404, 409, 413, 422, 429);
const submitHeaders = userRouteHeaders.extend(idempotencyHeaders.shape);

export function registerTaskRoutes(app: FastifyInstance, deps: TaskDeps, submitsPerMinute: number): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const user = requireUser(deps.db);
  // One budget per API key across every submission route, checked before authentication so a flood costs no
  // database work.
  const checkSubmitLimit = app.createRateLimit({ max: submitsPerMinute, timeWindow: 60_000, keyGenerator: credentialBucket });
  const submitGuard = [
    async (request: FastifyRequest, reply: FastifyReply) => {
      const limit = await checkSubmitLimit(request);
      if (limit.isAllowed || !limit.isExceeded) return;
      reply.header('retry-after', String(limit.ttlInSeconds));
      throw new ApiError(429, 'rate_limited', `Too many submissions from this API key; retry in ${limit.ttlInSeconds} s`);
    },
    user,
  ];

  const submit = async (request: FastifyRequest, type: 'video' | 'image', model: string, input: Record<string, unknown>) => {
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    const principal = request.principal!;
    const { replayed, ...result } = await submitTask(deps, { userId: principal.userId, submittedBy: principal.keyId, type, model, input, idempotencyKey });
    request.log.info({ taskId: result.taskId, replayed, status: result.status }, 'task submitted');
    return result;
  };

  api.post(
    '/api/v1/tasks',
    {
      preValidation: submitGuard,
      schema: { tags: ['tasks'], summary: 'Submit a task', security: BEARER, headers: submitHeaders, body: taskBody, response: { 202: submitted, ...SUBMIT_ERRORS } },
    },
    async (request, reply) => reply.status(202).send(await submit(request, request.body.type, request.body.model, request.body.input)),
  );

  for (const type of ['video', 'image'] as const) {
    api.post(
      `/api/v1/generate-${type}`,
      {
        preValidation: submitGuard,
        schema: {
          tags: ['tasks'],
          summary: `Submit a ${type} task (the seeds' route)`,
          security: BEARER,
          headers: submitHeaders,
          body: seedBody,
          response: { 202: submitted, ...SUBMIT_ERRORS },
        },
      },
      async (request, reply) => {
        const { model, ...input } = request.body;
        const modelId = model ?? deps.catalog.defaultFor(type)?.id;
        if (!modelId) throw new ApiError(400, 'invalid_request', `No ${type} model is offered: configure its provider`);
        return reply.status(202).send(await submit(request, type, modelId, input));
      },
    );
  }

  api.get(
    '/api/v1/tasks',
    {
      preValidation: user,
      schema: {
        tags: ['tasks'],
        summary: "The caller's tasks, newest first",
        security: BEARER,
        headers: userRouteHeaders,
        querystring: taskListQuery,
        response: { 200: z.object({ tasks: z.array(taskView), nextCursor: z.string().nullable() }), ...errorResponses(...AUTH_ERRORS, 404) },
      },
    },
    async (request) => {
      const { status, cursor, limit } = request.query;
      const page = await listUserTasks(deps.db, deps.store, { userId: request.principal!.userId, status, after: decodeCursor(cursor, timeIdKey), limit });
      return { tasks: page.tasks.map(({ userId: _owner, ...view }) => view), nextCursor: encodeCursor(page.next) };
    },
  );

  const byTaskId = (summary: string) => ({
    tags: ['tasks'],
    summary,
    security: BEARER,
    headers: userRouteHeaders,
    params: taskIdParams,
  });

  api.get(
    '/api/v1/tasks/:taskId',
    { preValidation: user, schema: { ...byTaskId('A task, checked with the provider when due'), response: { 200: taskView, ...errorResponses(...AUTH_ERRORS, 404) } } },
    async (request) => {
      const { userId: _owner, ...view } = await readTask(deps, request, request.params.taskId);
      return view;
    },
  );

  api.get(
    '/api/v1/video-status/:taskId',
    { preValidation: user, schema: { ...byTaskId("A task in the seeds' shape"), response: { 200: videoStatus, ...errorResponses(...AUTH_ERRORS, 404) } } },
    async (request) => seedStatus(await readTask(deps, request, request.params.taskId)),
  );

  api.post(
    '/api/v1/tasks/:taskId/cancel',
    { preValidation: user, schema: { ...byTaskId('Cancel a live task (refunded)'), response: { 200: canceled, ...errorResponses(...AUTH_ERRORS, 404, 409) } } },
    async (request) => {
      const { taskId } = request.params;
      await findVisibleTask(deps, request, taskId);
      const result = await cancelTask(deps, taskId, request.principal!.role === 'admin' ? 'admin' : 'owner');
      if (!result.canceled) {
        // A completion that committed first wins over the cancel: the user has the result and was charged for it.
        const code = result.task?.status === 'completed' ? 'already_completed' : 'not_cancelable';
        throw new ApiError(409, code, `The task is already ${result.task?.status ?? 'gone'} and cannot be canceled`);
      }
      return { taskId: result.task.id, status: result.task.status, creditsRefunded: result.task.price };
    },
  );
}

/** The seeds' polling loop knows processing, completed and failed; anything else would keep it polling forever. */
function seedStatus(view: TaskView): z.infer<typeof videoStatus> {
  const status = view.status === 'completed' || view.status === 'failed' ? view.status : view.status === 'canceled' ? 'failed' : 'processing';
  const error = view.status === 'canceled' ? 'canceled' : view.error?.message;
  return { status, progress: view.progress, ...(view.assetUrl && { videoUrl: view.assetUrl }), ...(error && { error }) };
}

/** Another user's task answers exactly like a missing one, so task ids reveal nothing. */
async function findVisibleTask(deps: TaskDeps, request: FastifyRequest, taskId: string): Promise<TaskView & { userId: string }> {
  const view = await loadTaskView(deps.db, deps.store, taskId);
  if (!view || !isOwnerOrAdmin(request, view.userId)) throw notFound('No such task');
  return view;
}

/** Reading a live task that nobody checked recently asks the provider in-line, so polling clients see progress. */
async function readTask(deps: TaskDeps, request: FastifyRequest, taskId: string): Promise<TaskView & { userId: string }> {
  const view = await findVisibleTask(deps, request, taskId);
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
