import { fastifyCookie } from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { System } from '../../app/system.js';
import { acceptPlaygroundSessions } from './playgroundSessions.js';
import { createSessions, type Sessions } from './sessions.js';

export { API_KEY_CACHE_TTL_MS, forgetApiKey, isOwnerOrAdmin, requireAdmin, requireUser } from './apiKeys.js';
export { checkSession, requireAdminOrSession, type SessionCheck } from './adminSession.js';
export { credentialBucket } from './bearer.js';
export { requireCronSecret } from './cronSecret.js';
export { assertCsrf, CSRF_HEADER, sameOriginRequest } from './csrf.js';
export { playgroundSession } from './playgroundSessions.js';
export {
  createSessions,
  PLAYGROUND_COOKIE,
  SESSION_COOKIE,
  type SessionClaims,
  type SessionKind,
  type SessionOptions,
  type Sessions,
} from './sessions.js';

/**
 * Everything a request may authenticate with besides a bearer key, set up once on the app's root: the cookie
 * parser, the dashboard and playground sessions (SESSION_SECRET, SESSION_TTL_MINUTES, PUBLIC_URL), and the
 * playground cookie standing in for a bearer key on the routes the playground calls.
 */
export async function registerAuth(app: FastifyInstance, system: System): Promise<Sessions> {
  await app.register(fastifyCookie);
  const sessions = createSessions({
    secret: system.config.sessionSecret,
    ttlMs: system.config.sessionTtlMs,
    logger: system.logger,
    db: system.db,
    trustedOrigins: [new URL(system.config.publicUrl).origin],
  });
  await sessions.register(app);
  acceptPlaygroundSessions(app, sessions);
  return sessions;
}
