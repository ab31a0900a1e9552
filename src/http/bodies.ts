import type { FastifyInstance } from 'fastify';

/**
 * Request bodies are JSON whatever their Content-Type says. The seeds' front end posts `JSON.stringify(params)` with
 * fetch's default `text/plain`, and HTTP clients (the official `replicate` one among them) send a bodiless POST with
 * `Content-Type: application/json`: both are read as their authors meant. Scopes that need another reading (the sign-in
 * forms, the Replicate webhook's raw bytes) add their own parser for their content type.
 *
 * Parsing a body never authenticates anything: a cookie-authenticated POST still passes the Origin and Sec-Fetch-Site
 * checks (auth/csrf.ts), which is what keeps a cross-site `text/plain` form from riding on a session.
 */
export function readJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    return parseJson(request, body as string, done);
  });
  // A route whose body is all optional fields reads an absent body as {} rather than refusing it.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
  });
}
