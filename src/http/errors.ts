import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { BalanceLimitError, InsufficientCreditsError, ReferenceConflictError } from '../ledger/index.js';
import { IdempotencyConflictError, NotRefundableError, ProviderRejectedError, TaskInputError } from '../tasks/index.js';
import { UserExistsError } from '../users/index.js';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const notFound = (what = 'Not found'): ApiError => new ApiError(404, 'not_found', what);

/** How a request part is named in messages: `body.model`, `query.limit`, `headers.idempotency-key`, `params.taskId`. */
const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/**
 * A request that failed its route's schema: the first problem, naming the field. A path parameter that is not
 * well-formed names nothing, so it is a 404 like a missing resource; any other part is a 400.
 */
function validationError(err: FastifyError): ApiError | null {
  if (!hasZodFastifySchemaValidationErrors(err)) return null;
  const issue = err.validation[0]!;
  const part = PART_NAMES[err.validationContext ?? 'body'] ?? 'body';
  const path = issue.instancePath.split('/').filter(Boolean).join('.');
  const message = `${path ? `${part}.${path}` : part}: ${issue.message}`;
  return part === 'params' ? new ApiError(404, 'not_found', message) : new ApiError(400, 'invalid_request', message);
}

function toApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  const invalid = validationError(err as FastifyError);
  if (invalid) return invalid;
  if (err instanceof TaskInputError) return new ApiError(400, 'invalid_request', err.message);
  if (err instanceof InsufficientCreditsError) return new ApiError(402, 'insufficient_credits', 'Not enough available credits (balance minus frozen)');
  if (err instanceof IdempotencyConflictError || err instanceof ReferenceConflictError) return new ApiError(409, 'idempotency_conflict', err.message);
  if (err instanceof BalanceLimitError) return new ApiError(400, 'invalid_request', err.message);
  if (err instanceof NotRefundableError) return new ApiError(409, 'not_refundable', err.message);
  if (err instanceof UserExistsError) return new ApiError(409, 'user_exists', err.message);
  if (err instanceof ProviderRejectedError) {
    return new ApiError(422, 'provider_rejected', `The provider rejected the task: ${err.message}`, { taskId: err.taskId, status: 'failed' });
  }
  return fastifyClientError(err as FastifyError);
}

/** Fastify's own 4xx (malformed JSON, body too large, wrong content type) in our error shape. */
function fastifyClientError(err: FastifyError): ApiError | null {
  const status = err.statusCode ?? 500;
  if (status < 400 || status >= 500) return null;
  if (status === 413) return new ApiError(413, 'payload_too_large', 'The request body is too large');
  return new ApiError(status, 'invalid_request', err.message);
}

/** Errors the router raises before any handler runs (a path parameter over the length limit, a bad URL). */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'The request URL is malformed';
  void reply.status(status).send({ error: { code: 'invalid_request', message } });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err);
    if (!apiError) {
      request.log.error({ err }, 'unhandled error');
      return reply.status(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side' } });
    }
    return reply.status(apiError.statusCode).send({ error: { code: apiError.code, message: apiError.message }, ...apiError.extra });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` } }),
  );
}
