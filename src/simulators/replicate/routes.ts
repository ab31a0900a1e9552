import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TaskType } from '../../providers/types.js';
import type { SimUrls } from '../kit/launch.js';
import { modelType } from '../kit/models.js';
import type { Simulation } from '../kit/simulation.js';
import type { ReplicateFaults } from './faults.js';
import { predictionObject, type SimPrediction } from './prediction.js';

export type ReplicateSimulation = Simulation<ReplicateFaults, SimPrediction>;

/** An HTTP error as Replicate answers it: a status and a problem-details body. */
interface ApiError {
  status: number;
  title: string;
  detail: string;
  retryAfterMs?: number;
}

interface NewPrediction {
  /** `owner/name` for POST /v1/models/{owner}/{name}/predictions. */
  model?: string;
  /** For POST /v1/predictions. */
  version?: string;
  input: Record<string, unknown>;
  webhook?: string;
  webhookEventsFilter?: string[];
}

const TRANSIENT: readonly [ApiError, ApiError] = [
  { status: 500, title: 'Internal Server Error', detail: 'Internal server error' },
  { status: 503, title: 'Service Unavailable', detail: 'Service temporarily unavailable', retryAfterMs: 1000 },
];
const NOT_FOUND: ApiError = { status: 404, title: 'Not found', detail: 'Not found.' };

const predictionBody = z.object({
  input: z.record(z.string(), z.unknown(), { error: 'input is required' }),
  webhook: z.url({ error: 'webhook must be a URL' }).optional(),
  webhook_events_filter: z.array(z.enum(['start', 'output', 'logs', 'completed'])).optional(),
});
const versionedBody = predictionBody.extend({ version: z.string({ error: 'version is required' }).min(1) });

/** Replicate answers errors with the HTTP status and a problem-details body. */
export function sendProblem(reply: FastifyReply, error: ApiError) {
  if (error.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send({ title: error.title, detail: error.detail, status: error.status });
}

function invalid(reply: FastifyReply, issues: z.core.$ZodIssue[]) {
  const invalidFields = issues.map((issue) => ({ type: issue.code, field: issue.path.join('.'), description: issue.message }));
  return reply.code(422).type('application/problem+json').send({
    title: 'Input validation failed',
    detail: issues[0]!.message,
    status: 422,
    invalid_fields: invalidFields,
  });
}

/** The Replicate predictions API: create (by model or version), get, cancel. */
export function registerReplicateRoutes(app: FastifyInstance, sim: ReplicateSimulation, urls: SimUrls): void {
  const refused = (request: FastifyRequest): ApiError | undefined => {
    const token = sim.faults.apiToken;
    const header = request.headers.authorization;
    // `Bearer`, or the older `Token` scheme.
    if (token && header !== `Bearer ${token}` && header !== `Token ${token}`) {
      return { status: 401, title: 'Unauthenticated', detail: 'You did not pass a valid authentication token' };
    }
    return sim.injectedError(TRANSIENT);
  };
  const throttled = (): ApiError | undefined => {
    const retryAfterMs = sim.throttled();
    if (retryAfterMs === undefined) return undefined;
    const seconds = Math.ceil(retryAfterMs / 1000);
    const detail = `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`;
    return { status: 429, title: 'Request was throttled.', detail, retryAfterMs };
  };
  const object = (prediction: SimPrediction) => predictionObject(prediction, Date.now(), urls.public());

  const create = (reply: FastifyReply, request: NewPrediction) => {
    const type: TaskType | undefined = request.model ? modelType(request.model) : 'image';
    if (!type) return sendProblem(reply, { ...NOT_FOUND, detail: 'The requested resource could not be found.' });
    const prediction = sim.accept({
      id: predictionId(),
      model: request.model ?? null,
      version: request.version ?? 'official',
      type,
      input: request.input,
      webhook: request.webhook,
      wantsCompleted: !request.webhookEventsFilter || request.webhookEventsFilter.includes('completed'),
    });
    return reply.code(201).send(object(prediction));
  };

  app.post<{ Params: { owner: string; name: string } }>('/v1/models/:owner/:name/predictions', async (request, reply) => {
    const error = refused(request) ?? throttled();
    if (error) return sendProblem(reply, error);
    const parsed = predictionBody.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error.issues);
    const { input, webhook, webhook_events_filter } = parsed.data;
    const model = `${request.params.owner}/${request.params.name}`;
    return create(reply, { model, input, webhook, webhookEventsFilter: webhook_events_filter });
  });

  app.post('/v1/predictions', async (request, reply) => {
    const error = refused(request) ?? throttled();
    if (error) return sendProblem(reply, error);
    const parsed = versionedBody.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error.issues);
    const { version, input, webhook, webhook_events_filter } = parsed.data;
    return create(reply, { version, input, webhook, webhookEventsFilter: webhook_events_filter });
  });

  app.get<{ Params: { id: string } }>('/v1/predictions/:id', async (request, reply) => {
    const error = refused(request);
    if (error) return sendProblem(reply, error);
    sim.countStatusCheck();
    const prediction = sim.jobs.get(request.params.id);
    if (!prediction) return sendProblem(reply, NOT_FOUND);
    return object(prediction);
  });

  app.post<{ Params: { id: string } }>('/v1/predictions/:id/cancel', async (request, reply) => {
    const error = refused(request);
    if (error) return sendProblem(reply, error);
    const prediction = sim.jobs.get(request.params.id);
    if (!prediction) return sendProblem(reply, NOT_FOUND);
    return object(sim.finish(prediction.id, 'cancel'));
  });
}

/** Replicate prediction ids look like `ufawqhfynnddngldkgtslldrkq`: lowercase base32, 26 characters and more. */
function predictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}
