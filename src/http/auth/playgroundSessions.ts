import type { FastifyInstance, FastifyRequest } from 'fastify';
import { assertCsrf } from './csrf.js';
import type { SessionClaims, Sessions } from './sessions.js';

/**
 * The public API routes a signed-in page calls: the playground's, and the seeds' own front-end loop (submit with
 * generate-video, poll video-status) run from a page of this origin. Nothing else accepts the cookie.
 */
const SESSION_ROUTES = new Set([
  'GET /api/v1/models',
  'GET /api/v1/credits',
  'GET /api/v1/credits/transactions',
  'POST /api/v1/tasks',
  'GET /api/v1/tasks',
  'GET /api/v1/tasks/:taskId',
  'GET /api/v1/tasks/:taskId/events',
  'POST /api/v1/tasks/:taskId/cancel',
  'POST /api/v1/generate-video',
  'POST /api/v1/generate-image',
  'GET /api/v1/video-status/:taskId',
]);

/** A valid, unexpired, not signed-out playground session of this request, with its key; null otherwise. */
export async function playgroundSession(sessions: Sessions, request: FastifyRequest): Promise<{ claims: SessionClaims; apiKey: string } | null> {
  const claims = await sessions.read(request, 'playground');
  return claims?.key ? { claims, apiKey: claims.key } : null;
}

/**
 * Lets the playground's cookie stand in for "Authorization: Bearer" on the routes it calls. A request that brings
 * no Authorization header but a valid playground session gets the session's key as its bearer token before the
 * route's own guard runs: the key is then checked, revoked, rate-limited and stream-capped by the very code that
 * serves API clients, with no second authentication path to keep in step (and no edit to the routes). Unsafe
 * methods must also pass the CSRF check: same origin, and the page's token or the browser's own Sec-Fetch-Site
 * saying same-origin.
 */
export function acceptPlaygroundSessions(app: FastifyInstance, sessions: Sessions): void {
  app.addHook('onRequest', async (request) => {
    if (request.headers.authorization !== undefined) return;
    if (!SESSION_ROUTES.has(`${request.method} ${request.routeOptions.url}`)) return;
    const session = await playgroundSession(sessions, request);
    if (!session) return;
    assertCsrf(sessions, request, session.claims, { fetchMetadataSuffices: true });
    // Fastify's headers setter adds to the raw headers (it does not replace them): only Authorization is new.
    request.headers = { authorization: `Bearer ${session.apiKey}` };
  });
}
