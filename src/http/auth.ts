import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.js';
import { authenticateApiKey, type Principal } from '../users/index.js';
import { ApiError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return undefined;
  return header.slice('Bearer '.length).trim() || undefined;
}

/** preHandler: a valid user or admin API key. */
export function requireUser(db: Db) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token) throw new ApiError(401, 'unauthorized', 'Send your API key as "Authorization: Bearer <key>"');
    const principal = await authenticateApiKey(db, token);
    if (!principal) throw new ApiError(401, 'unauthorized', 'The API key is not valid');
    request.principal = principal;
  };
}

/** preHandler: an admin API key; a user key is 403. */
export function requireAdmin(db: Db) {
  const user = requireUser(db);
  return async (request: FastifyRequest): Promise<void> => {
    await user(request);
    if (request.principal?.role !== 'admin') throw new ApiError(403, 'forbidden', 'This route needs an admin key');
  };
}

/** preHandler for cron routes: Bearer CRON_SECRET, compared in constant time; no secret configured is 503. */
export function requireCronSecret(secret: string | undefined) {
  const expected = secret ? digest(secret) : undefined;
  return async (request: FastifyRequest): Promise<void> => {
    if (!expected) throw new ApiError(503, 'not_configured', 'Cron routes are disabled until CRON_SECRET is set');
    const token = bearerToken(request);
    if (!token || !timingSafeEqual(digest(token), expected)) throw new ApiError(401, 'unauthorized', 'Wrong or missing cron secret');
  };
}

/** Hashing first gives both sides the same length, which timingSafeEqual needs, without leaking the length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function isOwnerOrAdmin(request: FastifyRequest, userId: string): boolean {
  return request.principal?.role === 'admin' || request.principal?.userId === userId;
}
