import SwaggerParser from '@apidevtools/swagger-parser';
import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RouteSummary } from '../../src/http/index.js';
import { registerOpenApi } from '../../src/http/openapi/index.js';
import { trackRoutes } from '../../src/http/routeTable.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Registered routes that are not the API, so not in the document: the dashboard's and the playground's pages,
 * forms, page fragments and static files (their own UI, not a contract for clients), the reference page and the
 * document themselves, HEAD twins of GET routes, and CORS preflights.
 */
const NOT_API = [/^\/admin(\/|$)/, /^\/playground(\/|$)/, /^\/docs(\/|$)/, /^\/openapi\.json$/];
const isApi = (route: RouteSummary): boolean => route.method !== 'HEAD' && route.method !== 'OPTIONS' && !NOT_API.some((re) => re.test(route.url));

/** Fastify's `/a/:id/*` as OpenAPI writes it: `/a/{id}/{*}`. */
const openApiPath = (url: string): string => url.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\*$/, '{*}');

function missingFromDocument(routes: RouteSummary[], doc: OpenAPIV3_1.Document): string[] {
  return routes
    .filter(isApi)
    .filter((r) => !(doc.paths?.[openApiPath(r.url)] as Record<string, unknown> | undefined)?.[r.method.toLowerCase()])
    .map((r) => `${r.method} ${r.url}`);
}

describe('GET /openapi.json', () => {
  let h: Harness;
  let doc: OpenAPIV3_1.Document;
  beforeAll(async () => {
    h = await startHarness({ env: { CRON_SECRET: 'openapi-cron-secret', CORS_ORIGINS: 'https://app.example.com' } });
    const res = await fetch(`${h.url}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenAPIV3_1.Document;
  });
  afterAll(() => h.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  it('has every registered API route (pages, static files and the docs themselves excepted)', () => {
    const table = h.server.app.routeTable;
    expect(table.filter(isApi).length).toBeGreaterThan(25);
    expect(missingFromDocument(table, doc)).toEqual([]);
  });

  it('documents the request schemas that validate requests', async () => {
    const submit = doc.paths!['/api/v1/tasks']!.post as OpenAPIV3_1.OperationObject;
    const body = (submit.requestBody as OpenAPIV3_1.RequestBodyObject).content['application/json']!.schema as OpenAPIV3_1.SchemaObject;
    expect(body.required).toEqual(['type', 'model', 'input']);
    expect(submit.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key' }));
    const credits = doc.paths!['/api/admin/users/{userId}/credits']!.post as OpenAPIV3_1.OperationObject;
    expect(Object.keys(credits.responses!)).toEqual(expect.arrayContaining(['200', '201', '402', '409']));
    // The document's rule is the validator's: an amount of 0 is refused by the route.
    const admin = await h.user(0, 'admin');
    const user = await h.user(0);
    const res = await h.api(admin.apiKey, 'POST', `/api/admin/users/${user.userId}/credits`, { amount: 0, reference: 'r' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^body\.amount: /);
  });

  it('serves the reference page and its files from the package, with nothing from another origin', async () => {
    const page = await fetch(`${h.url}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(1);
    expect(urls.filter((u) => /^(https?:)?\/\//.test(u))).toEqual([]);
    for (const url of urls) expect((await fetch(new URL(url, `${h.url}/docs/`))).status, url).toBe(200);
    const spec = await (await fetch(`${h.url}/docs/json`)).json();
    expect(spec.paths['/api/v1/tasks']).toBeDefined();
  });

  it('the coverage check fails for a route the document lacks (the check itself can fail)', async () => {
    const app = Fastify();
    trackRoutes(app);
    await registerOpenApi(app);
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get('/api/v1/described', { schema: { querystring: z.object({ q: z.string() }) } }, async () => ({}));
    api.get('/api/v1/hidden', { schema: { hide: true } }, async () => ({}));
    await app.ready();
    expect(missingFromDocument(app.routeTable, app.swagger() as OpenAPIV3_1.Document)).toEqual(['GET /api/v1/hidden']);
    await app.close();
  });
});
