import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProviderError, verifyKieCallback, type CallbackEvent } from '../providers/index.js';
import { applyCallback, findTask, findTaskByProviderTaskId, type TaskDeps } from '../tasks/index.js';
import { ApiError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebhookOptions {
  kieHmacKey?: string;
}

/**
 * Provider callbacks. The answer goes back as soon as the callback is checked and its task found; the work (a
 * download that may take minutes) runs after, so the provider's 15 s delivery timeout is never at risk.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: TaskDeps, options: WebhookOptions): void {
  const inFlight = new Set<Promise<unknown>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...inFlight]);
  });

  app.post('/api/webhooks/kie', async (request, reply) => {
    const event = parseKieCallback(deps, request);
    const trusted = verifyKie(request, event, options.kieHmacKey);
    const task = await findCallbackTask(deps, event);
    if (!task) {
      request.log.warn({ taskId: event.taskId, providerTaskId: event.providerTaskId }, 'callback for an unknown task');
      throw new ApiError(404, 'not_found', 'No task matches this callback');
    }
    const work = applyCallback(deps, task, event, trusted)
      .then((outcome) => request.log.info({ taskId: task.id, outcome }, 'callback applied'))
      .catch((err: unknown) => request.log.error({ err, taskId: task.id }, 'callback processing failed; recovery will retry'))
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
    return reply.status(200).send({ received: true, taskId: task.id });
  });
}

function parseKieCallback(deps: TaskDeps, request: FastifyRequest): CallbackEvent {
  try {
    return deps.providers.get('kie').parseCallback(request.body, request.query as Record<string, string | undefined>);
  } catch (err) {
    if (err instanceof ProviderError) throw new ApiError(400, 'invalid_request', err.message);
    throw err;
  }
}

/** With a key configured, only a correctly signed, fresh callback is accepted; without one, none is trusted. */
function verifyKie(request: FastifyRequest, event: CallbackEvent, key: string | undefined): boolean {
  if (!key) return false;
  const valid = verifyKieCallback({
    providerTaskId: event.providerTaskId,
    timestamp: headerOf(request, 'x-webhook-timestamp'),
    signature: headerOf(request, 'x-webhook-signature'),
    key,
  });
  if (!valid) throw new ApiError(401, 'unauthorized', 'Missing, stale or invalid webhook signature');
  return true;
}

async function findCallbackTask(deps: TaskDeps, event: CallbackEvent) {
  if (event.taskId) return UUID.test(event.taskId) ? findTask(deps.db, event.taskId) : null;
  return findTaskByProviderTaskId(deps.db, 'kie', event.providerTaskId);
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
