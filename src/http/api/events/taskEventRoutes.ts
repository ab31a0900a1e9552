import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { System } from '../../../app/system.js';
import { loadTaskView, TERMINAL_STATUSES } from '../../../tasks/index.js';
import { isOwnerOrAdmin, requireUser } from '../../auth/index.js';
import { AUTH_ERRORS, BEARER, errorResponses, userRouteHeaders } from '../../contract.js';
import { ApiError, notFound } from '../../errors.js';
import { taskIdParams } from '../taskSchemas.js';
import { lastSeenEvent } from './eventId.js';
import { createStreamRegistry, type StreamRegistry } from './streamRegistry.js';
import { openTaskStream } from './taskStream.js';
import { createTaskWatcher } from './taskWatcher.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This process's open task event streams (GET /api/v1/tasks/:taskId/events). */
    taskEvents: Pick<StreamRegistry, 'open'>;
  }
}

/** What a client waits before reconnecting after the stream drops. */
const RETRY_MS = 2_000;

/**
 * GET /api/v1/tasks/:taskId/events: a text/event-stream of the task's state for its owner or an admin, until the
 * task is terminal; 204 once the client has seen the terminal event. At most EVENTS_MAX_STREAMS_PER_KEY streams per API key per process; past that, 429.
 */
export function registerTaskEventRoutes(app: FastifyInstance, system: System): void {
  const { db, store } = system.tasks;
  const options = system.config.events;
  const watcher = createTaskWatcher(system.tasks, { pollMs: options.pollMs, nudgeMs: options.nudgeMs });
  const registry = createStreamRegistry();
  app.decorate('taskEvents', { open: (keyId?: string) => registry.open(keyId) });
  app.addHook('preClose', async () => {
    registry.endAll();
    await watcher.stop();
  });

  // A HEAD of a stream has no meaning, and a hijacked GET handler would stream its body anyway.
  const schema = {
    tags: ['tasks'],
    summary: "A task's states as a text/event-stream, until it is terminal",
    security: BEARER,
    headers: userRouteHeaders.extend({ 'last-event-id': z.string().optional().describe('resume after this event (an id it does not know is ignored)') }),
    params: taskIdParams,
    response: {
      200: { description: 'events named progress, completed, failed or canceled; each data is the task as GET /api/v1/tasks/:taskId shows it', content: { 'text/event-stream': { schema: z.string() } } },
      204: z.undefined().describe('the client has already seen the terminal event'),
      ...errorResponses(...AUTH_ERRORS, 404, 429),
    },
  };
  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/tasks/:taskId/events', { exposeHeadRoute: false, preValidation: requireUser(db), schema }, async (request, reply) => {
    const { taskId } = request.params;
    const first = await loadTaskView(db, store, taskId);
    if (!first || !isOwnerOrAdmin(request, first.userId)) throw notFound('No such task');
    const lastEventId = lastSeenEvent(request.headers['last-event-id'], TERMINAL_STATUSES.includes(first.status));
    // The client has the terminal event: 204 is what makes an EventSource stop reconnecting, instead of getting
    // the terminal event again every few seconds for as long as the page stays open.
    if (lastEventId === 'all') return reply.status(204).send();
    const slot = registry.reserve(request.principal!.keyId, options.maxStreamsPerKey);
    if (!slot) {
      reply.header('retry-after', String(Math.ceil(RETRY_MS / 1000)));
      throw new ApiError(429, 'rate_limited', `At most ${options.maxStreamsPerKey} event streams may be open per API key; close one or poll instead`);
    }
    const stream = openTaskStream(request, reply, {
      taskId,
      first,
      lastEventId,
      watcher,
      load: () => loadTaskView(db, store, taskId),
      heartbeatMs: options.heartbeatMs,
      retryMs: RETRY_MS,
      onEnd: slot.release,
    });
    slot.attach(stream);
    return reply;
  });
}
