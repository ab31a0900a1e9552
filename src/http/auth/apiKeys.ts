import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.js';
import { authenticateApiKey, createApiKeyCache, findNamedUser, type ApiKeyCache, type Principal } from '../../users/index.js';
import { settleUserHeader } from '../contract.js';
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

/**
 * A valid user or admin API key, remembered for API_KEY_CACHE_TTL_MS. With `Settle-User`, an admin key acts as the
 * user it names, exactly as that user's own key would (their tasks only); the principal keeps the admin's key id, so
 * a task records which key submitted it. Runs before validation (preValidation), so an anonymous caller is 401
 * whatever it sent.
 */
export function requireUser(db: Db) {
  const cache = cacheFor(db);
  const key = authenticateWith((token) => cache.authenticate(db, token));
  return async (request: FastifyRequest): Promise<void> => {
    await key(request);
    const named = request.headers['settle-user'];
    if (named !== undefined) request.principal = await actingFor(db, request.principal!, named);
  };
}

async function actingFor(db: Db, caller: Principal, header: string | string[]): Promise<Principal> {
  if (caller.role !== 'admin') throw new ApiError(403, 'forbidden', 'Settle-User needs an admin key');
  const parsed = settleUserHeader.safeParse(header);
  if (!parsed.success) throw new ApiError(400, 'invalid_request', `headers.settle-user: ${parsed.error.issues[0]!.message}`);
  const user = await findNamedUser(db, parsed.data);
  if (!user) throw new ApiError(404, 'not_found', 'Settle-User names no user');
  return { userId: user.userId, email: user.email, role: 'user', keyId: caller.keyId };
}

/** A key revoked here stops working in this process at once; other processes drop it within API_KEY_CACHE_TTL_MS. */
export function forgetApiKey(db: Db, keyHash: string): void {
  cacheFor(db).forget(keyHash);
}

/** An admin API key, checked against the database every time; a user key is 403. */
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
