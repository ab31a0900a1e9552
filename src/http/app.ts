import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { System } from '../app/system.js';
import { registerAccountRoutes } from './admin/accountRoutes.js';
import { registerAdminRoutes } from './admin/adminRoutes.js';
import { registerAssetRoutes } from './api/assetRoutes.js';
import { registerCreditRoutes } from './api/creditRoutes.js';
import { registerCronRoutes } from './admin/cronRoutes.js';
import { registerDashboard } from './ui/dashboard/index.js';
import { frameworkErrors, registerErrorHandling } from './errors.js';
import { registerTaskEventRoutes } from './api/events/index.js';
import { registerHealthRoutes } from './healthRoutes.js';
import { registerMetricsRoutes } from './metricsRoutes.js';
import { registerModelRoutes } from './api/modelRoutes.js';
import { registerOutboxRoutes } from './admin/outboxRoutes.js';
import { registerPlayground } from './ui/playground/index.js';
import { registerAuth } from './auth/index.js';
import { readJsonBodies } from './bodies.js';
import { registerCors } from './cors.js';
import { registerOpenApi } from './openapi/index.js';
import { trackRoutes } from './routeTable.js';
import { registerScheduleRoutes } from './admin/scheduleRoutes.js';
import { registerTaskRoutes } from './api/taskRoutes.js';
import { registerWebhookEndpointRoutes } from './admin/webhookEndpointRoutes.js';
import { registerWebhookRoutes } from './webhooks/webhookRoutes.js';

/** Request bodies are small JSON documents; anything larger is refused before it is parsed. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** The headers of a request must arrive within this, or the request timeout if that is shorter. */
const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node looks for requests past their timeouts (its default, 30 s, would add up to 30 s to each bound). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export async function buildApp(system: System): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: system.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: system.config.trustProxy,
    frameworkErrors,
    ...connectionLimits(system.config.http.requestTimeoutMs),
  });
  app.server.maxConnections = system.config.http.maxConnections;
  trackRoutes(app);
  registerErrorHandling(app);
  readJsonBodies(app);
  await registerCors(app, system.config.corsOrigins);
  await registerOpenApi(app);
  // Sessions on every route, so admin routes can accept the dashboard's and API routes the playground's (DESIGN section 6).
  const sessions = await registerAuth(app, system);
  await app.register(rateLimit, { global: false });
  registerHealthRoutes(app, system.db, system.providerHealth);
  registerMetricsRoutes(app, system);
  registerCreditRoutes(app, system.db);
  registerTaskRoutes(app, system.tasks, system.config.submitRateLimitPerMinute);
  registerTaskEventRoutes(app, system);
  registerModelRoutes(app, system.db, system.catalog);
  if (system.localStore) registerAssetRoutes(app, system.db, system.localStore);
  registerCronRoutes(app, system);
  registerAdminRoutes(app, system, sessions);
  registerAccountRoutes(app, system, sessions);
  registerScheduleRoutes(app, system, sessions);
  registerOutboxRoutes(app, system.db, sessions);
  registerWebhookEndpointRoutes(app, system.db, sessions);
  registerWebhookRoutes(app, system.tasks, { kieHmacKey: system.config.kie.webhookHmacKey, replicate: system.replicate });
  await registerDashboard(app, system, sessions);
  await registerPlayground(app, system, sessions);
  await app.ready();
  return app;
}

/**
 * A client that sends its request slowly (or never finishes it) is cut once the headers take HEADERS_TIMEOUT_MS or
 * the whole request HTTP_REQUEST_TIMEOUT_MS; an idle keep-alive connection is closed after Fastify's
 * keepAliveTimeout (72 s). Nothing limits the time after a request has arrived: a cron run or an admin trigger may
 * work for a minute, and an event stream lasts as long as its task, so no idle-socket timeout is set.
 */
function connectionLimits(requestTimeoutMs: number) {
  return {
    requestTimeout: requestTimeoutMs,
    http: { headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs), connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
  };
}
