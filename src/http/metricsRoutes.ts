import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createMetrics } from '../metrics/index.js';
import type { System } from '../app/system.js';

/** GET /metrics: Prometheus text, computed from the database at scrape time. Public like /healthz; network-restrict it. */
export function registerMetricsRoutes(app: FastifyInstance, system: System): void {
  const metrics = createMetrics({ db: system.db, logger: system.logger, openEventStreams: () => app.taskEvents.open() });
  const schema = {
    tags: ['health'],
    summary: 'Prometheus metrics',
    response: { 200: { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } } },
  };
  app.get('/metrics', { schema }, async (_request, reply) => {
    const body = await metrics.render();
    return reply.header('cache-control', 'no-store').type(metrics.contentType).send(body);
  });
}
