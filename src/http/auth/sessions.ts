import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Queryable } from '../../db/index.js';
import type { Logger } from '../../log/index.js';
import type { Principal } from '../../users/index.js';
import { requireAdmin } from './apiKeys.js';
import { ApiError } from '../errors.js';

/**
 * Dashboard sessions: a stateless cookie `v1.<claims>.<HMAC-SHA256>` signed with SESSION_SECRET, HttpOnly,
 * SameSite=Strict, Path=/, with an expiry inside the signed claims (and as the cookie's Max-Age). Every request that
 * presents it is checked again against the database: the API key it was opened with must still exist, be unrevoked
 * and be an admin key, so revoking the key ends its sessions at once.
 *
 * The playground (src/http/playground) signs its sessions with the same machinery, under its own cookie, for user
 * keys as well: its claims carry the key sealed with AES-256-GCM, and every request presents that key, so it is
 * checked (and revocation takes effect) exactly as for an API client.
 *
 * Cross-site request forgery: besides SameSite=Strict, every state-changing request authenticated by the cookie must
 * carry the session's CSRF token (X-CSRF-Token header or a `_csrf` form field, an HMAC of the session id) and, when
 * the browser sends one, an Origin header of this site.
 */
export const SESSION_COOKIE = 'settle_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface SessionClaims {
  /** Session id: the CSRF token and sign-out refer to it. */
  sid: string;
  uid: string;
  /** The admin API key the session was opened with. */
  kid: string;
  /** Issued at / expires at, seconds since the epoch. */
  iat: number;
  exp: number;
  /** Playground sessions only: the API key, sealed (AES-256-GCM, bound to sid), so each request can present it. */
  key?: string;
}

export interface SessionOptions {
  /** SESSION_SECRET; unset means a random per-process secret (sessions end on restart and do not cross instances). */
  secret?: string;
  ttlMs: number;
  logger: Logger;
  /** This site's public origin(s) besides the request's own (PUBLIC_URL), accepted in Origin headers. */
  trustedOrigins?: string[];
}

export interface Sessions {
  readonly ttlMs: number;
  /** True when no SESSION_SECRET was configured and a random one is in use. */
  readonly ephemeralSecret: boolean;
  readonly trustedOrigins: readonly string[];
  issue(principal: Principal, now?: Date, options?: { apiKey?: string }): { value: string; claims: SessionClaims };
  /** The API key sealed into a playground session's claims; null when there is none or it does not open. */
  apiKeyOf(claims: SessionClaims): string | null;
  /** The claims of a well-formed, correctly signed, unexpired and not signed-out cookie value; null otherwise. */
  verify(value: string | undefined, now?: Date): SessionClaims | null;
  /** Sign-out: the session id is refused by this process until the session would have expired anyway. */
  revoke(claims: SessionClaims): void;
  csrfToken(claims: SessionClaims): string;
  checkCsrfToken(claims: SessionClaims, token: unknown): boolean;
}

const b64 = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

export function createSessions(options: SessionOptions): Sessions {
  const ephemeralSecret = !options.secret;
  const secret = options.secret ?? randomBytes(32).toString('hex');
  if (ephemeralSecret) {
    options.logger.warn(
      'SESSION_SECRET is not set: dashboard sessions are signed with a random per-process secret, so they end when the process restarts and are not valid on other instances',
    );
  } else if (secret.length < 32) {
    options.logger.warn('SESSION_SECRET is shorter than 32 characters; use a long random value');
  }
  // Separate keys for the two uses, so a CSRF token can never pass for a cookie signature or the other way round.
  const signKey = createHmac('sha256', secret).update('settle-session-v1').digest();
  const csrfKey = createHmac('sha256', secret).update('settle-csrf-v1').digest();
  const sealKey = createHmac('sha256', secret).update('settle-seal-v1').digest();
  const revoked = new Map<string, number>(); // sid -> exp (seconds)

  const sign = (payload: string): Buffer => createHmac('sha256', signKey).update(payload).digest();
  const csrfToken = (claims: SessionClaims): string => b64(createHmac('sha256', csrfKey).update(claims.sid).digest());

  return {
    ttlMs: options.ttlMs,
    ephemeralSecret,
    trustedOrigins: options.trustedOrigins ?? [],
    issue(principal, now = new Date(), extra = {}) {
      const iat = Math.floor(now.getTime() / 1000);
      const sid = randomUUID();
      const claims: SessionClaims = {
        sid,
        uid: principal.userId,
        kid: principal.keyId,
        iat,
        exp: iat + Math.max(1, Math.floor(options.ttlMs / 1000)),
        ...(extra.apiKey !== undefined && { key: seal(sealKey, sid, extra.apiKey) }),
      };
      const payload = `v1.${b64(JSON.stringify(claims))}`;
      return { value: `${payload}.${b64(sign(payload))}`, claims };
    },
    verify(value, now = new Date()) {
      if (!value || value.length > 1024) return null;
      const parts = value.split('.');
      if (parts.length !== 3 || parts[0] !== 'v1') return null;
      const payload = `${parts[0]}.${parts[1]}`;
      const given = Buffer.from(parts[2]!, 'base64url');
      const expected = sign(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      const claims = parseClaims(parts[1]!);
      if (!claims) return null;
      const nowS = Math.floor(now.getTime() / 1000);
      if (claims.exp <= nowS || claims.iat > nowS + 60) return null;
      if (revoked.has(claims.sid)) return null;
      return claims;
    },
    revoke(claims) {
      const nowS = Math.floor(Date.now() / 1000);
      for (const [sid, exp] of revoked) if (exp <= nowS) revoked.delete(sid);
      revoked.set(claims.sid, claims.exp);
    },
    apiKeyOf(claims) {
      return claims.key === undefined ? null : unseal(sealKey, claims.sid, claims.key);
    },
    csrfToken,
    checkCsrfToken(claims, token) {
      if (typeof token !== 'string' || token.length > 200) return false;
      const given = Buffer.from(token);
      const expected = Buffer.from(csrfToken(claims));
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** AES-256-GCM with the session id as associated data: a sealed key only opens inside the session it was issued in. */
function seal(key: Buffer, sid: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(sid));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return b64(Buffer.concat([iv, cipher.getAuthTag(), body]));
}

function unseal(key: Buffer, sid: string, sealed: string): string | null {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < 29) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(Buffer.from(sid));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

function parseClaims(encoded: string): SessionClaims | null {
  try {
    const c = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Partial<SessionClaims>;
    const ok =
      typeof c.sid === 'string' &&
      typeof c.uid === 'string' &&
      typeof c.kid === 'string' &&
      Number.isInteger(c.iat) &&
      Number.isInteger(c.exp) &&
      (c.key === undefined || typeof c.key === 'string');
    return ok ? (c as SessionClaims) : null;
  } catch {
    return null;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request was authenticated by the dashboard session cookie (not by an API key). */
    adminSession?: SessionClaims;
  }
}

// TODO(users): this lookup belongs in src/users (e.g. findPrincipalByKeyId); it is here until that module exports one.
async function principalForKey(db: Queryable, claims: SessionClaims): Promise<Principal | null> {
  const { rows } = await db.query<Principal>(
    `SELECT k.user_id AS "userId", u.email, k.role, k.id AS "keyId"
       FROM api_keys k JOIN users u ON u.id = k.user_id
      WHERE k.id = $1 AND k.user_id = $2 AND k.revoked_at IS NULL`,
    [claims.kid, claims.uid],
  );
  return rows[0] ?? null;
}

/** The raw cookie value; parsed from the header when @fastify/cookie did not run for this route. */
export function sessionCookieOf(request: FastifyRequest, name = SESSION_COOKIE): string | undefined {
  if ((request.cookies as typeof request.cookies | undefined) !== undefined) return request.cookies[name];
  const header = request.headers.cookie;
  return header ? fastifyCookie.parse(header)[name] : undefined;
}

export type SessionCheck =
  | { ok: true; principal: Principal; claims: SessionClaims }
  | { ok: false; reason: 'none' | 'invalid' | 'not_admin' };

/** Reads and checks the session cookie of a request: signature, expiry, sign-out, and that its key is still an admin key. */
export async function checkSession(db: Queryable, sessions: Sessions, request: FastifyRequest): Promise<SessionCheck> {
  const raw = sessionCookieOf(request);
  if (!raw) return { ok: false, reason: 'none' };
  const claims = sessions.verify(raw);
  // A playground session (it carries a sealed key) is signed with the same secret; renamed, it must not open the dashboard.
  if (!claims || claims.key !== undefined) return { ok: false, reason: 'invalid' };
  const principal = await principalForKey(db, claims);
  if (!principal) return { ok: false, reason: 'invalid' };
  if (principal.role !== 'admin') return { ok: false, reason: 'not_admin' };
  return { ok: true, principal, claims };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** This site's origins: the one the request was addressed to, and PUBLIC_URL's. */
function allowedOrigins(sessions: Sessions, request: FastifyRequest): string[] {
  return [`${request.protocol}://${request.host}`, ...sessions.trustedOrigins];
}

/**
 * The browser-side half of the CSRF defence, for any cookie-authenticated state-changing request (and the sign-in
 * form): an Origin header, when present, must be this site's; Sec-Fetch-Site, when present, must not be cross-site.
 */
export function sameOriginRequest(sessions: Sessions, request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedOrigins(sessions, request).includes(origin)) return false;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  return true;
}

function csrfTokenOf(request: FastifyRequest): unknown {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | undefined;
  return body && typeof body === 'object' ? body._csrf : undefined;
}

/** Refuses a cookie-authenticated state-changing request that is cross-site or lacks the session's CSRF token. */
export function assertCsrf(sessions: Sessions, request: FastifyRequest, claims: SessionClaims): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (!sameOriginRequest(sessions, request)) {
    throw new ApiError(403, 'forbidden', 'Cross-site request refused: the Origin is not this site');
  }
  if (!sessions.checkCsrfToken(claims, csrfTokenOf(request))) {
    throw new ApiError(403, 'forbidden', `Missing or wrong CSRF token: send the page's token in the ${CSRF_HEADER} header`);
  }
}

/**
 * preHandler for admin JSON routes: an admin API key (`Authorization: Bearer`, exactly as requireAdmin), or the
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

export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, sessions: Sessions, value: string, name = SESSION_COOKIE): void {
  const maxAge = Math.max(1, Math.floor(sessions.ttlMs / 1000));
  reply.setCookie(name, value, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    maxAge,
    expires: new Date(Date.now() + maxAge * 1000),
    secure: request.protocol === 'https',
  });
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest, name = SESSION_COOKIE): void {
  reply.clearCookie(name, { httpOnly: true, sameSite: 'strict', path: '/', secure: request.protocol === 'https' });
}
