import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { System } from '../../../app/system.js';
import { loadTaskView, TERMINAL_STATUSES } from '../../../tasks/index.js';
import { isOwnerOrAdmin, requireUser } from '../../auth/index.js';
import { ApiError, notFound } from '../../errors.js';
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

const taskIdParams = z.object({ taskId: z.uuid() });
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
  app.get('/api/v1/tasks/:taskId/events', { exposeHeadRoute: false, preHandler: requireUser(db) }, async (request, reply) => {
    const taskId = taskIdOf(request);
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

function taskIdOf(request: FastifyRequest): string {
  const parsed = taskIdParams.safeParse(request.params);
  if (!parsed.success) throw notFound('No such task');
  return parsed.data.taskId;
}
