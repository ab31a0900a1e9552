import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { System } from '../system.js';
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
import { trackRoutes } from './routeTable.js';
import { registerScheduleRoutes } from './admin/scheduleRoutes.js';
import { registerTaskRoutes } from './api/taskRoutes.js';
import { registerWebhookRoutes } from './webhooks/webhookRoutes.js';

/** Request bodies are small JSON documents; anything larger is refused before it is parsed. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export async function buildApp(system: System): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: system.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: system.config.trustProxy,
    frameworkErrors,
  });
  trackRoutes(app);
  registerErrorHandling(app);
  // Sessions on every route, so admin routes can accept the dashboard's and API routes the playground's (DESIGN section 6).
  const sessions = await registerAuth(app, system);
  await app.register(rateLimit, { global: false });
  registerHealthRoutes(app, system.db);
  registerMetricsRoutes(app, system);
  registerCreditRoutes(app, system.db);
  registerTaskRoutes(app, system.tasks, system.config.submitRateLimitPerMinute);
  registerTaskEventRoutes(app, system);
  registerModelRoutes(app, system.db, system.catalog);
  if (system.localStore) registerAssetRoutes(app, system.localStore);
  registerCronRoutes(app, system);
  registerAdminRoutes(app, system, sessions);
  registerScheduleRoutes(app, system, sessions);
  registerOutboxRoutes(app, system.db, sessions);
  registerWebhookRoutes(app, system.tasks, { kieHmacKey: system.config.kie.webhookHmacKey, replicate: system.replicate });
  await registerDashboard(app, system, sessions);
  await registerPlayground(app, system, sessions);
  await app.ready();
  return app;
}
