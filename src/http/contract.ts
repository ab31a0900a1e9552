import { z } from 'zod';
import { cursorOf, readCursor } from '../db/index.js';
import { ApiError } from './errors.js';

/**
 * The pieces of the HTTP contract that many routes share. Each route declares its request parts with zod in its
 * `schema` option: Fastify validates with them (a failure is a 400 naming the field, or a 404 for a path parameter)
 * and /openapi.json is generated from the very same objects, so the document cannot drift from what is enforced.
 */

export const errorBody = z
  .looseObject({
    error: z.object({
      code: z.string().describe('snake_case, stable: invalid_request, unauthorized, forbidden, not_found, ...'),
      message: z.string().describe('a human sentence; for invalid input it starts with the field, e.g. "body.model: ..."'),
    }),
  })
  .meta({ id: 'Error' });

const ERROR_MEANINGS: Record<number, string> = {
  400: 'invalid_request: the input names the field at fault',
  401: 'unauthorized: missing or invalid credential',
  402: 'insufficient_credits',
  403: 'forbidden',
  404: 'not_found',
  409: 'a conflict (idempotency_conflict, already_completed, ...)',
  413: 'payload_too_large',
  422: 'provider_rejected',
  429: 'rate_limited (Retry-After says when)',
  503: 'not_configured',
};

/**
 * An answer documented by its top-level fields only (operator routes whose rows are wide and change often); every
 * field is passed through as the handler returns it.
 */
export const openObject = (fields: z.ZodRawShape, description: string) => z.looseObject(fields).describe(description);

/** Error answers of a route, for its `schema.response`: every one is `{"error":{"code","message"}}`. */
export function errorResponses(...statuses: (keyof typeof ERROR_MEANINGS)[]): Record<number, typeof errorBody> {
  return Object.fromEntries(statuses.map((s) => [s, errorBody.describe(ERROR_MEANINGS[s]!)]));
}

/** The errors any authenticated JSON route can answer besides its own. */
export const AUTH_ERRORS = [400, 401, 403] as const;

/** Security requirements for the document: an API key as a bearer token, or (admin routes) the dashboard cookie. */
type Security = Record<string, string[]>[];
export const BEARER: Security = [{ apiKey: [] }];
export const BEARER_OR_SESSION: Security = [{ apiKey: [] }, { dashboardSession: [] }];
export const CRON_SECRET: Security = [{ cronSecret: [] }];

export const isoDate = z.string().describe('ISO 8601 timestamp');

/** A keyset cursor: opaque to clients, handed back as nextCursor. */
export const cursor = z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, 'must be a nextCursor from an earlier page').describe('nextCursor of the previous page');
export const pageLimit = z.coerce.number().int().min(1).max(200).default(50);
/** The query of a list with nothing to filter by: the page and its size. */
export const pageQuery = z.strictObject({ cursor: cursor.optional(), limit: pageLimit });

/** A page key as the opaque nextCursor a client hands back; null at the last page. */
export const encodeCursor = cursorOf;

/** The page key of a cursor, checked against its shape; a cursor that is not one of this list's is a 400. */
export function decodeCursor<S extends z.ZodType>(value: string | undefined, shape: S): z.output<S> | null {
  if (value === undefined) return null;
  const key = shape.safeParse(readCursor(value));
  if (!key.success) throw new ApiError(400, 'invalid_request', 'query.cursor: not a nextCursor of this list');
  return key.data;
}

/** The page key of newest-first lists (tasks, users): microseconds since the epoch, and the row's id. */
export const timeIdKey = z.strictObject({ at: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), id: z.uuid() });

export const credits = z
  .object({ balance: z.number().int(), frozen: z.number().int(), available: z.number().int() })
  .meta({ id: 'Credits' });

/** A user as an app names one: the Settle user id, or `ext:` and the app's own user id. */
export const userReference = z
  .union([z.uuid(), z.string().regex(/^ext:.{1,200}$/, 'must be a user id or ext:<externalId>')])
  .describe('a Settle user id, or ext:<your own user id>');

/** `Settle-User`: with an admin key, act as this user. */
export const settleUserHeader = userReference.describe('admin keys only: act as this user (a user id, or ext:<externalId>)');

/** The headers every /api/v1 route reads besides Authorization. */
export const userRouteHeaders = z.looseObject({ 'settle-user': settleUserHeader.optional() });
