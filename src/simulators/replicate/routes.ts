import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TaskType } from '../../providers/types.js';
import { answerDue, settleTaskIdOf } from '../kit/answer.js';
import type { SimUrls } from '../kit/launch.js';
import { modelType } from '../kit/models.js';
import type { Simulation } from '../kit/simulation.js';
import type { ReplicateFaults } from './faults.js';
import { predictionObject, resultPath, type SimPrediction } from './prediction.js';

export type ReplicateSimulation = Simulation<ReplicateFaults, SimPrediction>;

/** An HTTP error as Replicate answers it: a status and a problem-details body. */
interface ApiError {
  status: number;
  title: string;
  detail: string;
  retryAfterMs?: number;
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
  const object = (prediction: SimPrediction) =>
    predictionObject(prediction, Date.now(), urls.public(), urls.result(sim.faults, resultPath(prediction)));
  const refuse = (reply: FastifyReply, settleTaskId: string | null, error: ApiError) => {
    sim.refuse(settleTaskId, error.status);
    return sendProblem(reply, error);
  };

  /** Replicate's checks in the order it answers them, then the prediction; a refusal is answered and recorded. */
  const create = async (request: FastifyRequest, reply: FastifyReply, schema: typeof predictionBody, model?: string) => {
    const settleTaskId = settleTaskIdOf(request.body, 'webhook');
    const error = refused(request) ?? throttled();
    if (error) return refuse(reply, settleTaskId, error);
    const parsed = schema.safeParse(request.body ?? {});
    if (!parsed.success) {
      sim.refuse(settleTaskId, 422);
      return invalid(reply, parsed.error.issues);
    }
    const type: TaskType | undefined = model ? modelType(model) : 'image';
    if (!type) return refuse(reply, settleTaskId, { ...NOT_FOUND, detail: 'The requested resource could not be found.' });
    const refusal = sim.refusedResubmission(settleTaskId, TRANSIENT);
    if (refusal) return refuse(reply, settleTaskId, refusal);
    const { input, webhook, webhook_events_filter: webhookEventsFilter } = parsed.data;
    const version = (parsed.data as { version?: string }).version;
    const fields = { id: predictionId(), ...modelAndVersion(model, version), type, input, webhook, webhookEventsFilter };
    const { job, answer } = sim.accept(settleTaskId, 201, fields);
    if (!(await answerDue(sim, request, reply, answer))) return reply;
    return reply.code(201).send(object(job));
  };

  app.post<{ Params: { owner: string; name: string } }>('/v1/models/:owner/:name/predictions', (request, reply) =>
    create(request, reply, predictionBody, `${request.params.owner}/${request.params.name}`),
  );
  app.post('/v1/predictions', (request, reply) => create(request, reply, versionedBody));

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
    return object(sim.cancel(prediction.id));
  });

  app.get('/v1/webhooks/default/secret', async (request, reply) => {
    const error = refused(request);
    if (error) return sendProblem(reply, error);
    const key = sim.faults.webhookSecret;
    if (!key) return sendProblem(reply, { ...NOT_FOUND, detail: 'This simulator signs no webhooks: start it with a webhookSecret.' });
    return { key };
  });
}

/**
 * A prediction created by version names its model too, as Replicate's do; the simulator knows the model only when the
 * version is given as `owner/name:version`.
 */
function modelAndVersion(model: string | undefined, version = 'official'): { model: string; version: string } {
  if (model) return { model, version };
  const [named, hash] = version.includes(':') ? version.split(':', 2) : [`replicate-simulator/${version.slice(0, 12)}`, version];
  return { model: named!, version: hash! };
}

/** Replicate prediction ids look like `ufawqhfynnddngldkgtslldrkq`: lowercase base32, 26 characters and more. */
function predictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}
