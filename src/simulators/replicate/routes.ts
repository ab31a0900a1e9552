import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { contentType } from '../kie/models.js';
import { resultFileStream } from '../kie/result-file.js';
import { outputFileName, viewPrediction } from './prediction.js';
import type { ApiError, NewPrediction, ReplicateSimulation } from './simulation.js';

const predictionBody = z.object({
  input: z.record(z.string(), z.unknown(), { error: 'input is required' }),
  webhook: z.url({ error: 'webhook must be a URL' }).optional(),
  webhook_events_filter: z.array(z.enum(['start', 'output', 'logs', 'completed'])).optional(),
});
const versionedBody = predictionBody.extend({ version: z.string({ error: 'version is required' }).min(1) });

/** Replicate answers errors with the HTTP status and a problem-details body. */
function sendError(reply: FastifyReply, error: ApiError) {
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

/** The Replicate predictions API: create (by model or version), get, cancel; output files; control routes. */
export function registerReplicateRoutes(app: FastifyInstance, sim: ReplicateSimulation): void {
  const refused = (request: FastifyRequest): ApiError | undefined => {
    if (!sim.authorized(request.headers.authorization)) {
      return { status: 401, title: 'Unauthenticated', detail: 'You did not pass a valid authentication token' };
    }
    return sim.injectedError();
  };

  const create = (reply: FastifyReply, prediction: NewPrediction) => {
    const created = sim.create(prediction);
    if (!('id' in created)) return sendError(reply, created);
    return reply.code(201).send(sim.object(created));
  };

  app.post<{ Params: { owner: string; name: string } }>('/v1/models/:owner/:name/predictions', async (request, reply) => {
    const error = refused(request) ?? sim.rateLimited();
    if (error) return sendError(reply, error);
    const parsed = predictionBody.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error.issues);
    const { input, webhook, webhook_events_filter } = parsed.data;
    const model = `${request.params.owner}/${request.params.name}`;
    return create(reply, { model, input, webhook, webhookEventsFilter: webhook_events_filter });
  });

  app.post('/v1/predictions', async (request, reply) => {
    const error = refused(request) ?? sim.rateLimited();
    if (error) return sendError(reply, error);
    const parsed = versionedBody.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error.issues);
    const { version, input, webhook, webhook_events_filter } = parsed.data;
    return create(reply, { version, input, webhook, webhookEventsFilter: webhook_events_filter });
  });

  app.get<{ Params: { id: string } }>('/v1/predictions/:id', async (request, reply) => {
    const error = refused(request);
    if (error) return sendError(reply, error);
    sim.countStatusCheck();
    const prediction = sim.predictions.get(request.params.id);
    if (!prediction) return sendError(reply, { status: 404, title: 'Not found', detail: 'Not found.' });
    return sim.object(prediction);
  });

  app.post<{ Params: { id: string } }>('/v1/predictions/:id/cancel', async (request, reply) => {
    const error = refused(request);
    if (error) return sendError(reply, error);
    const prediction = sim.predictions.get(request.params.id);
    if (!prediction) return sendError(reply, { status: 404, title: 'Not found', detail: 'Not found.' });
    sim.finish(prediction.id, 'canceled');
    return sim.object(prediction);
  });

  // Output files, as replicate.delivery serves them: once the prediction succeeded, and without the token.
  app.get<{ Params: { id: string; name: string } }>('/files/:id/:name', async (request, reply) => {
    const prediction = sim.predictions.get(request.params.id);
    const ready = prediction && viewPrediction(prediction, Date.now()).status === 'succeeded';
    if (!prediction || !ready || request.params.name !== outputFileName(prediction.type)) {
      return reply.code(404).send({ detail: 'file not found' });
    }
    sim.countDownload();
    const { resultBytes, downloadDelayMs } = sim.faults;
    return reply
      .header('content-type', contentType(prediction.type))
      .header('content-length', String(resultBytes))
      .send(resultFileStream(prediction.id, prediction.type, resultBytes, downloadDelayMs));
  });

  // For tests and demos driving a simulator in another process. Unauthenticated: the simulator is a test tool.
  app.get('/sim/stats', async () => sim.stats());

  app.post('/sim/faults', async (request, reply) => {
    try {
      sim.setFaults(request.body);
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    const { apiToken, webhookSecret, ...faults } = sim.faults;
    return { ...faults, apiToken: apiToken ? 'set' : undefined, webhookSecret: webhookSecret ? 'set' : undefined };
  });

  app.post<{ Params: { id: string }; Body: { outcome?: unknown } }>('/sim/predictions/:id/finish', async (request, reply) => {
    const { outcome } = request.body ?? {};
    if (outcome !== 'succeeded' && outcome !== 'failed' && outcome !== 'aborted') {
      return reply.code(400).send({ error: 'outcome must be "succeeded", "failed" or "aborted"' });
    }
    const prediction = sim.predictions.get(request.params.id);
    if (!prediction) return reply.code(404).send({ error: 'unknown prediction' });
    sim.finish(prediction.id, outcome);
    return { id: prediction.id, status: viewPrediction(prediction, Date.now()).status };
  });
}
