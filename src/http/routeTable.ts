import type { FastifyInstance } from 'fastify';

export interface RouteSummary {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on this app; the route-auth test walks it so no route can skip its check unseen. */
    routeTable: RouteSummary[];
  }
}

export function trackRoutes(app: FastifyInstance): void {
  const table: RouteSummary[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) table.push({ method, url: route.url });
  });
}
