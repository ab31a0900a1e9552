import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { bearerToken } from './bearer.js';

/** preValidation hook for cron routes: Bearer CRON_SECRET, compared in constant time; no secret configured is 503. */
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
