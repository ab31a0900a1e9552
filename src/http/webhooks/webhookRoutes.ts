import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProviderError, verifyKieCallback, type CallbackEvent, type ReplicateProvider } from '../../providers/index.js';
import { applyCallback, findTask, findTaskByProviderTaskId, type TaskDeps } from '../../tasks/index.js';
import { z } from 'zod';
import { stopWithin } from '../../app/index.js';
import { errorResponses } from '../contract.js';
import { ApiError } from '../errors.js';

/** How long a stopping server waits for callbacks' work (a download may take minutes); what is left recovers as after a crash. */
const CALLBACK_WORK_GRACE_MS = 2_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebhookOptions {
  kieHmacKey?: string;
  replicate: ReplicateProvider;
}

/**
 * Provider callbacks. The answer goes back as soon as the callback is checked and its task found; the work (a
 * download that may take minutes) runs after, so the provider's 15 s delivery timeout is never at risk. A callback is
 * a trigger: a KIE signature covers only the task id and a timestamp, so even a signed KIE body is not believed (the
 * task asks KIE itself); a Replicate signature covers the body, so a signed Replicate body may be used as sent.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: TaskDeps, options: WebhookOptions): void {
  const inFlight = new Set<Promise<unknown>>();
  app.addHook('onClose', () =>
    stopWithin(CALLBACK_WORK_GRACE_MS, 'provider callbacks', async () => void (await Promise.allSettled([...inFlight])), deps.logger),
  );

  const accept = async (request: FastifyRequest, provider: string, event: CallbackEvent, bodyVerified: boolean) => {
    const task = await findCallbackTask(deps, provider, event);
    if (!task) {
      request.log.warn({ taskId: event.taskId, providerTaskId: event.providerTaskId, provider }, 'callback for an unknown task');
      throw new ApiError(404, 'not_found', 'No task matches this callback');
    }
    const work = applyCallback(deps, task, event, bodyVerified)
      .then((outcome) => request.log.info({ taskId: task.id, outcome }, 'callback applied'))
      .catch((err: unknown) => request.log.error({ err, taskId: task.id }, 'callback processing failed; recovery will retry'))
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
    return { received: true, taskId: task.id };
  };

  const callback = (provider: string, summary: string) => ({
    schema: {
      tags: ['provider callbacks'],
      summary,
      description: `Called by ${provider}, not by clients: a trigger that makes Settle re-check the task with the provider.`,
      querystring: z.looseObject({ task: z.string().optional().describe('the Settle task id, from the callback URL') }),
      response: { 200: z.object({ received: z.literal(true), taskId: z.uuid() }), ...errorResponses(400, 401, 404) },
    },
  });

  app.post('/api/webhooks/kie', callback('KIE', "KIE's task callback"), async (request) => {
    const event = parseCallback(() => deps.providers.get('kie').parseCallback(request.body, queryOf(request)));
    verifyKie(request, event, options.kieHmacKey);
    return accept(request, 'kie', event, false);
  });

  // Standard Webhooks sign the exact bytes sent, so this route keeps the body as the raw string.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/api/webhooks/replicate', callback('Replicate', "Replicate's prediction webhook (Standard Webhooks signature)"), async (request) => {
      const raw = request.body as string;
      const verdict = options.replicate.verifyWebhook(request.headers, raw);
      if (verdict === 'invalid') throw new ApiError(401, 'unauthorized', 'Missing, stale or invalid webhook signature');
      const event = parseCallback(() => options.replicate.parseCallback(raw, queryOf(request)));
      return accept(request, 'replicate', event, verdict === 'valid');
    });
  });
}

function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  return request.query as Record<string, string | undefined>;
}

function parseCallback(parse: () => CallbackEvent): CallbackEvent {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ProviderError) throw new ApiError(400, 'invalid_request', err.message);
    throw err;
  }
}

/** With a key configured, only a correctly signed, fresh callback is accepted (its body is still not believed). */
function verifyKie(request: FastifyRequest, event: CallbackEvent, key: string | undefined): void {
  if (!key) return;
  const valid = verifyKieCallback({
    providerTaskId: event.providerTaskId,
    timestamp: headerOf(request, 'x-webhook-timestamp'),
    signature: headerOf(request, 'x-webhook-signature'),
    key,
  });
  if (!valid) throw new ApiError(401, 'unauthorized', 'Missing, stale or invalid webhook signature');
}

async function findCallbackTask(deps: TaskDeps, provider: string, event: CallbackEvent) {
  if (!event.taskId) return findTaskByProviderTaskId(deps.db, provider, event.providerTaskId);
  const task = UUID.test(event.taskId) ? await findTask(deps.db, event.taskId) : null;
  return task?.provider === provider ? task : null;
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
