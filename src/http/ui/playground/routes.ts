import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { System } from '../../../app/system.js';
import { authenticateApiKey } from '../../../users/index.js';
import { assertCsrf, playgroundSession, sameOriginRequest, type Sessions } from '../../auth/index.js';
import { ApiError } from '../../errors.js';
import { loadClientFiles, loadPageFiles, type StaticFile } from './clientFiles.js';
import { playgroundPage, signInPage } from './pages.js';

const PAGE = '/playground';

/**
 * /playground: a page for a signed-in user (any API key, user or admin) to submit a prompt and watch it run, built
 * on settle/client served from this app. Sign-in exchanges a pasted key for a playground session cookie.
 */
export async function registerPlayground(app: FastifyInstance, system: System, sessions: Sessions): Promise<void> {
  const pageFiles = loadPageFiles();
  const clientFiles = loadClientFiles();
  if (clientFiles.size === 0) system.logger.warn('dist/client is missing (run npm run build): the playground page cannot load settle/client');
  const csp = contentSecurityPolicy(system);

  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('x-content-type-options', 'nosniff').header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin');
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        reply.header('content-security-policy', csp).header('cache-control', 'no-store');
      }
      return payload;
    });
    // The playground's own routes are not the API's: they stay out of the OpenAPI document.
    const pageOnly = { exposeHeadRoute: false, schema: { hide: true } };
    const sendPage = (reply: FastifyReply, body: string, status = 200) => reply.status(status).type('text/html; charset=utf-8').send(body);

    scope.get(PAGE, pageOnly, async (request, reply) => {
      const session = await playgroundSession(sessions, request);
      const principal = session && (await authenticateApiKey(system.db, session.apiKey));
      if (session && principal) return sendPage(reply, playgroundPage({ email: principal.email ?? principal.userId, csrfToken: sessions.csrfToken(session.claims) }));
      const hadCookie = sessions.presented(request, 'playground');
      if (hadCookie) sessions.clear(request, 'playground');
      const q = request.query as Record<string, unknown>;
      const notice = q.signed_out ? 'You are signed out.' : hadCookie ? 'Your session ended or its key was revoked; sign in again.' : undefined;
      return sendPage(reply, signInPage({ notice }));
    });

    scope.post(`${PAGE}/login`, { schema: { hide: true } }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (!sameOriginRequest(sessions, request)) return sendPage(reply, signInPage({ error: 'Sign-in refused: the form was not sent from this site.' }), 403);
      const apiKey = typeof body.apiKey === 'string' ? body.apiKey.trim() : '';
      const principal = apiKey ? await authenticateApiKey(system.db, apiKey) : null;
      if (!principal) return sendPage(reply, signInPage({ error: 'That API key is not valid, or it has been revoked.' }), 401);
      sessions.open(request, 'playground', principal, apiKey);
      request.log.info({ userId: principal.userId, keyId: principal.keyId }, 'signed in to the playground');
      return reply.redirect(PAGE, 303);
    });

    scope.post(`${PAGE}/logout`, { schema: { hide: true } }, async (request, reply) => {
      const session = await playgroundSession(sessions, request);
      if (!session) throw new ApiError(401, 'unauthorized', 'You are not signed in to the playground');
      assertCsrf(sessions, request, session.claims);
      await sessions.close(request, 'playground', session.claims);
      return reply.redirect(`${PAGE}?signed_out=1`, 303);
    });

    const serve = (files: Map<string, StaticFile>) => async (request: FastifyRequest, reply: FastifyReply) => {
      const file = files.get((request.params as { name: string }).name);
      if (!file) throw new ApiError(404, 'not_found', 'No such file');
      reply.header('etag', file.etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
      return reply.type(file.contentType).send(file.body);
    };
    scope.get(`${PAGE}/assets/:name`, pageOnly, serve(pageFiles));
    scope.get(`${PAGE}/client/:name`, pageOnly, serve(clientFiles));
  });
}

/** Results may come from this site (/assets) or from the S3/R2 public URL. */
function contentSecurityPolicy(system: System): string {
  const media = ["'self'", new URL(system.config.publicUrl).origin, system.config.r2 ? 'https:' : ''].filter(Boolean).join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${media} data:`,
    `media-src ${media}`,
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
