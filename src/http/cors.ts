import fastifyCors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What a browser app sends to /api/v1 besides simple headers. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'settle-user'];
const EXPOSED_HEADERS = ['retry-after'];

/**
 * CORS_ORIGINS may call /api/v1 from the browser (preflight included); no other route answers cross-origin, and no
 * origin is allowed unless listed. Credentials (cookies) are never allowed cross-origin: a browser app authenticates
 * with an API key in Authorization, so no cross-site request can ride on a session cookie.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  const policy = { methods: ['GET', 'POST'], allowedHeaders: ALLOWED_HEADERS, exposedHeaders: EXPOSED_HEADERS, credentials: false, maxAge: 600 };
  // An origin not listed, or a route outside /api/v1, gets no CORS headers, and its preflight a 404.
  await app.register(fastifyCors, {
    delegator: (request: FastifyRequest, callback) => {
      const origin = request.headers.origin;
      const allowedHere = request.url.startsWith('/api/v1/') && origin !== undefined && allowed.has(origin);
      callback(null, { ...policy, origin: allowedHere ? origin : false });
    },
  });
}
