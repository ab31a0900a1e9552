import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.js';
import { authenticateApiKey, createApiKeyCache, type ApiKeyCache, type Principal } from '../../users/index.js';
import { ApiError } from '../errors.js';
import { bearerToken } from './bearer.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * A revoked key keeps working on user routes for at most this long (in each process). Admin routes always ask the
 * database, so revoking an admin key locks it out of them at once.
 */
export const API_KEY_CACHE_TTL_MS = 5_000;
const API_KEY_CACHE_ENTRIES = 10_000;

// One cache per database, shared by every route of every app on it.
const caches = new WeakMap<Db, ApiKeyCache>();

function cacheFor(db: Db): ApiKeyCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = createApiKeyCache({ ttlMs: API_KEY_CACHE_TTL_MS, maxEntries: API_KEY_CACHE_ENTRIES });
    caches.set(db, cache);
  }
  return cache;
}

/** preHandler: a valid user or admin API key, remembered for API_KEY_CACHE_TTL_MS. */
export function requireUser(db: Db) {
  const cache = cacheFor(db);
  return authenticateWith((token) => cache.authenticate(db, token));
}

/** preHandler: an admin API key, checked against the database every time; a user key is 403. */
export function requireAdmin(db: Db) {
  const user = authenticateWith((token) => authenticateApiKey(db, token));
  return async (request: FastifyRequest): Promise<void> => {
    await user(request);
    if (request.principal?.role !== 'admin') throw new ApiError(403, 'forbidden', 'This route needs an admin key');
  };
}

function authenticateWith(lookup: (token: string) => Promise<Principal | null>) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token) throw new ApiError(401, 'unauthorized', 'Send your API key as "Authorization: Bearer <key>"');
    const principal = await lookup(token);
    if (!principal) throw new ApiError(401, 'unauthorized', 'The API key is not valid');
    request.principal = principal;
  };
}

export function isOwnerOrAdmin(request: FastifyRequest, userId: string): boolean {
  return request.principal?.role === 'admin' || request.principal?.userId === userId;
}
