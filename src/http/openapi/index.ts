import { readFileSync } from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { SESSION_COOKIE } from '../auth/index.js';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

const DESCRIPTION = [
  'Settle submits long-running AI generation tasks to providers, freezes the credits while a task runs, and settles',
  'every task: delivered and charged once, or failed and refunded. Errors are always',
  '`{"error":{"code","message"}}`. User routes take `Authorization: Bearer <api key>`; an admin key may add',
  '`Settle-User: <userId>` or `Settle-User: ext:<externalId>` to act for that user on every /api/v1 route.',
].join(' ');

/**
 * Validation and the document from one source: every route declares its request parts (and its answers where
 * practical) as zod schemas in its `schema` option; Fastify validates requests and serializes answers with them
 * (fastify-type-provider-zod), and @fastify/swagger turns the same objects into OpenAPI 3.1 at GET /openapi.json.
 * A route registered later with a schema (the webhook endpoints, say) appears in the document with nothing else
 * to do. Pages and static files set `schema.hide`. The reference page at /docs is Swagger UI, served from the
 * installed package (no CDN).
 *
 * Must run before any route is registered: @fastify/swagger collects routes as they are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Settle', version: packageVersion(), description: DESCRIPTION },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A user or admin API key (sk_settle_...)' },
          dashboardSession: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The admin dashboard session (with its CSRF token on writes)' },
          cronSecret: { type: 'http', scheme: 'bearer', description: 'CRON_SECRET' },
        },
      },
    },
    transform: createJsonSchemaTransform({ skipList: [] }),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: true,
    uiConfig: { deepLinking: true, defaultModelsExpandDepth: 0 },
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()));
}

/** src/http/openapi and dist/http/openapi both sit three levels below the package root. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
