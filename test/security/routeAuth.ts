import type { FastifyInstance } from 'fastify';
import type { RouteSummary } from '../../src/http/index.js';

/**
 * Routes that may answer without a credential, each for a stated reason. Everything else the app registers must
 * refuse an anonymous caller and a plain user key where it is an admin or cron route. A new route is checked the
 * moment it is registered; making it public means adding it here, in review.
 */
export const PUBLIC_ROUTES: Record<string, string> = {
  'GET /healthz': 'liveness probe',
  'HEAD /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe',
  'HEAD /readyz': 'readiness probe',
  'GET /metrics': 'Prometheus scrape: counts only, no identifiers (restrict it at the network edge)',
  'HEAD /metrics': 'Prometheus scrape',
  'GET /admin': 'the dashboard sign-in form; it shows no data',
  'GET /admin/assets/*': 'the dashboard\'s own CSS, JS and uPlot files',
  'GET /playground': 'the playground sign-in form, or with a session the page shell (its data comes from guarded API routes)',
  'GET /playground/assets/:name': "the playground's own CSS and JS",
  'GET /playground/client/:name': 'the built settle/client modules the playground imports (public package code)',
  'GET /assets/*': 'asset links are capabilities: unguessable task ids',
  'HEAD /assets/*': 'asset links are capabilities',
  'POST /api/webhooks/kie': 'provider callback: signature-verified, otherwise untrusted (the task asks the provider itself)',
  'POST /api/webhooks/replicate': 'provider callback: Standard Webhooks signature, otherwise untrusted',
  'GET /openapi.json': 'the API description: routes and schemas, no data',
  'HEAD /openapi.json': 'the API description',
  'GET /docs': 'the API reference page (Swagger UI, from the package), rendered from the API description',
  'HEAD /docs': 'the API reference page',
  'HEAD /docs/': 'the API reference page',
  'GET /docs/static/index.html': 'the API reference page (a redirect to /docs/)',
  'HEAD /docs/static/index.html': 'the API reference page',
  'GET /docs/static/swagger-initializer.js': "the reference page's settings",
  'HEAD /docs/static/swagger-initializer.js': "the reference page's settings",
  'GET /docs/json': "the reference page's copy of the API description",
  'HEAD /docs/json': "the reference page's copy of the API description",
  'GET /docs/yaml': "the reference page's copy of the API description",
  'HEAD /docs/yaml': "the reference page's copy of the API description",
  'GET /docs/static/*': "Swagger UI's own files, served from the package",
  'HEAD /docs/static/*': "Swagger UI's own files",
};

/** Admin-only surfaces: a user key must be refused there too. */
export const isAdminRoute = (url: string): boolean => url.startsWith('/api/admin') || url.startsWith('/admin') || url.startsWith('/api/cron');

export interface AuthFinding {
  route: string;
  as: 'anonymous' | 'user';
  status: number;
}

function concreteUrl(url: string): string {
  return url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000').replace(/\*$/, 'x');
}

const isRefusal = (status: number, route: RouteSummary): boolean =>
  status === 401 || status === 403 || (route.url.startsWith('/api/cron') && status === 503) || (route.method === 'GET' && [302, 303].includes(status) && route.url.startsWith('/admin'));

/** Calls every non-public route without a credential (and admin routes with a user key); returns each one that let the caller in. */
export async function findUnguardedRoutes(app: FastifyInstance, userKey: string, publicRoutes = PUBLIC_ROUTES): Promise<AuthFinding[]> {
  const findings: AuthFinding[] = [];
  for (const route of app.routeTable) {
    const name = `${route.method} ${route.url}`;
    if (publicRoutes[name] || route.method === 'OPTIONS') continue;
    const callers: [AuthFinding['as'], Record<string, string>][] = [['anonymous', {}]];
    if (isAdminRoute(route.url)) callers.push(['user', { authorization: `Bearer ${userKey}` }]);
    for (const [as, headers] of callers) {
      const res = await app.inject({
        method: route.method as 'GET',
        url: concreteUrl(route.url),
        headers: { ...headers, ...(route.method !== 'GET' && route.method !== 'HEAD' && { 'content-type': 'application/json' }) },
        payload: route.method === 'GET' || route.method === 'HEAD' ? undefined : '{}',
      });
      if (!isRefusal(res.statusCode, route)) findings.push({ route: name, as, status: res.statusCode });
    }
  }
  return findings;
}
