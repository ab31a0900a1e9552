import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.js';
import { findPrincipalByKeyId, type Principal } from '../../users/index.js';
import { ApiError } from '../errors.js';
import { requireAdmin } from './apiKeys.js';
import { assertCsrf } from './csrf.js';
import type { SessionClaims, Sessions } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request was authenticated by the dashboard session cookie (not by an API key). */
    adminSession?: SessionClaims;
  }
}

export type SessionCheck =
  | { ok: true; principal: Principal; claims: SessionClaims }
  | { ok: false; reason: 'none' | 'invalid' | 'not_admin' };

/**
 * The request's dashboard session: a valid cookie, not signed out, whose key is still an unrevoked admin key (asked
 * of the database on every request, so revoking the key ends its sessions at once).
 */
export async function checkSession(db: Db, sessions: Sessions, request: FastifyRequest): Promise<SessionCheck> {
  if (!sessions.presented(request, 'dashboard')) return { ok: false, reason: 'none' };
  const claims = await sessions.read(request, 'dashboard');
  const principal = claims && (await findPrincipalByKeyId(db, claims.kid, claims.uid));
  if (!claims || !principal) return { ok: false, reason: 'invalid' };
  if (principal.role !== 'admin') return { ok: false, reason: 'not_admin' };
  return { ok: true, principal, claims };
}

/**
 * preValidation hook for admin JSON routes: an admin API key (`Authorization: Bearer`, exactly as requireAdmin), or the
 * dashboard session cookie, with the CSRF check on state-changing requests. Anonymous is 401; a user key is 403.
 */
export function requireAdminOrSession(db: Db, sessions: Sessions) {
  const adminKey = requireAdmin(db);
  return async (request: FastifyRequest): Promise<void> => {
    if (request.headers.authorization) return adminKey(request);
    const session = await checkSession(db, sessions, request);
    if (!session.ok) {
      if (session.reason === 'not_admin') throw new ApiError(403, 'forbidden', 'This session does not belong to an admin key');
      throw new ApiError(401, 'unauthorized', 'Sign in at /admin, or send an admin API key as "Authorization: Bearer <key>"');
    }
    assertCsrf(sessions, request, session.claims);
    request.principal = session.principal;
    request.adminSession = session.claims;
  };
}
