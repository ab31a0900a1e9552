import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import Tokens from '@fastify/csrf';
import fastifySecureSession, { type Session } from '@fastify/secure-session';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '../../db/index.js';
import type { Logger } from '../../log/index.js';
import { isSessionRevoked, revokeSession, type Principal } from '../../users/index.js';

/**
 * Dashboard and playground sessions: a stateless cookie encrypted and authenticated by @fastify/secure-session
 * (libsodium's secretbox), HttpOnly, SameSite=Strict, Path=/, Secure when the request came over https, expiring
 * after SESSION_TTL_MINUTES. Each kind has its own cookie and its own key, derived from SESSION_SECRET with HKDF,
 * so one kind's cookie, renamed, does not open as the other. Instances that share SESSION_SECRET read each other's
 * cookies.
 *
 * What a cookie cannot carry is kept in the database: a sign-out (refused by every instance, also after a restart,
 * until the session would have expired) and the key the session was opened with (revoked, it ends the session).
 *
 * The playground's cookie also carries the user's API key, inside the encryption, so each request can present it
 * exactly as an API client would.
 */
export type SessionKind = 'dashboard' | 'playground';

export const SESSION_COOKIE = 'settle_session';
export const PLAYGROUND_COOKIE = 'settle_playground';
const COOKIES: Record<SessionKind, string> = { dashboard: SESSION_COOKIE, playground: PLAYGROUND_COOKIE };

export interface SessionClaims {
  /** Session id: sign-out refers to it. */
  sid: string;
  uid: string;
  /** The API key the session was opened with. */
  kid: string;
  /** Expires at, seconds since the epoch: the cookie's end, and how long its sign-out must be remembered. */
  exp: number;
  /** This session's CSRF secret: tokens made from it pass for this session only. */
  csrf: string;
  /** Playground sessions only: the API key itself, presented on the session's behalf. */
  key?: string;
}

export interface SessionOptions {
  /** SESSION_SECRET; unset means a random per-process secret (sessions end on restart and do not cross instances). */
  secret?: string;
  ttlMs: number;
  logger: Logger;
  /** Where sign-outs are recorded and checked. */
  db: Queryable;
  /** This site's public origin(s) besides the request's own (PUBLIC_URL), accepted in Origin headers. */
  trustedOrigins?: string[];
}

export interface Sessions {
  /** True when no SESSION_SECRET was configured and a random one is in use. */
  readonly ephemeralSecret: boolean;
  readonly trustedOrigins: readonly string[];
  /** Registers the cookie plugins on the app's root, before any route, so every route can read a session. */
  register(app: FastifyInstance): Promise<void>;
  /** Opens a session of this kind for the principal; its cookie goes out with this request's reply. */
  open(request: FastifyRequest, kind: SessionKind, principal: Principal, apiKey?: string): SessionClaims;
  /** The request's session of this kind: decrypted with this kind's key, unexpired, and not signed out anywhere. */
  read(request: FastifyRequest, kind: SessionKind): Promise<SessionClaims | null>;
  /** True when the request carries a cookie of this kind, valid or not. */
  presented(request: FastifyRequest, kind: SessionKind): boolean;
  /** Sign-out, recorded for every instance; the reply clears the cookie. */
  close(request: FastifyRequest, kind: SessionKind, claims: SessionClaims): Promise<void>;
  /** The reply clears this kind's cookie (one that did not verify), recording nothing. */
  clear(request: FastifyRequest, kind: SessionKind): void;
  csrfToken(claims: SessionClaims): string;
  checkCsrfToken(claims: SessionClaims, token: unknown): boolean;
}

const sessionName = (kind: SessionKind): string => `${kind}Session`;

export function createSessions(options: SessionOptions): Sessions {
  const ephemeralSecret = !options.secret;
  const secret = options.secret ?? randomBytes(32).toString('hex');
  if (ephemeralSecret) {
    options.logger.warn(
      'SESSION_SECRET is not set: dashboard and playground sessions are keyed with a random per-process secret, so they end when the process restarts and are not valid on other instances',
    );
  } else if (secret.length < 32) {
    options.logger.warn('SESSION_SECRET is shorter than 32 characters; use a long random value');
  }
  const ttlSeconds = Math.max(1, Math.floor(options.ttlMs / 1000));
  const tokens = Tokens();
  const sessionOf = (request: FastifyRequest, kind: SessionKind) =>
    (request as unknown as Record<string, Session<Partial<SessionClaims>> | null>)[sessionName(kind)] ?? null;

  return {
    ephemeralSecret,
    trustedOrigins: options.trustedOrigins ?? [],
    async register(app) {
      await app.register(
        fastifySecureSession,
        (['dashboard', 'playground'] as const).map((kind) => ({
          sessionName: sessionName(kind),
          cookieName: COOKIES[kind],
          key: derivedKey(secret, kind),
          expiry: ttlSeconds,
          cookie: { httpOnly: true, sameSite: 'strict' as const, path: '/', secure: 'auto' as const, maxAge: ttlSeconds },
        })),
      );
    },
    open(request, kind, principal, apiKey) {
      const claims: SessionClaims = {
        sid: randomUUID(),
        uid: principal.userId,
        kid: principal.keyId,
        exp: Math.floor(Date.now() / 1000) + ttlSeconds,
        csrf: tokens.secretSync(),
        ...(apiKey !== undefined && { key: apiKey }),
      };
      const session = sessionOf(request, kind)!;
      session.regenerate();
      for (const [name, value] of Object.entries(claims)) session.set(name as keyof SessionClaims, value);
      session.options({ expires: new Date(claims.exp * 1000) });
      return claims;
    },
    async read(request, kind) {
      const claims = claimsOf(sessionOf(request, kind)?.data());
      // The plugin's expiry counts from the cookie's last write; exp is fixed at sign-in, and a sign-out is kept
      // only until exp, so the session must end there whatever the plugin allows.
      if (!claims || claims.exp <= Date.now() / 1000) return null;
      // A playground cookie carries a key and a dashboard one none: each kind only ever reads its own.
      if ((kind === 'playground') !== (claims.key !== undefined)) return null;
      return (await isSessionRevoked(options.db, claims.sid)) ? null : claims;
    },
    presented: (request, kind) => request.cookies[COOKIES[kind]] !== undefined,
    async close(request, kind, claims) {
      await revokeSession(options.db, claims.sid, new Date(claims.exp * 1000));
      sessionOf(request, kind)?.delete();
    },
    clear(request, kind) {
      sessionOf(request, kind)?.delete();
    },
    csrfToken: (claims) => tokens.create(claims.csrf),
    checkCsrfToken: (claims, token) => typeof token === 'string' && tokens.verify(claims.csrf, token),
  };
}

/** One 32-byte key per kind of session, so neither kind's cookie decrypts as the other. */
function derivedKey(secret: string, kind: SessionKind): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'settle-sessions', `settle-${kind}-session-v2`, 32));
}

function claimsOf(data: Partial<SessionClaims> | undefined): SessionClaims | null {
  if (!data) return null;
  const ok =
    typeof data.sid === 'string' &&
    typeof data.uid === 'string' &&
    typeof data.kid === 'string' &&
    Number.isInteger(data.exp) &&
    typeof data.csrf === 'string' &&
    (data.key === undefined || typeof data.key === 'string');
  return ok ? (data as SessionClaims) : null;
}
