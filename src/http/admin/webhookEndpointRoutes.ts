import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpoints,
  webhookEndpointInput,
  webhookEndpointView,
} from '../../notify/index.js';
import { requireAdminOrSession, type Sessions } from '../auth/index.js';
import { notFound, parseRequest } from '../errors.js';

const idParams = z.strictObject({ id: z.uuid() });

/**
 * POST /api/admin/webhook-endpoints `{url, events?}` registers an endpoint for signed task events (201 with its
 * `whsec_…` secret, shown once), GET lists them, DELETE /api/admin/webhook-endpoints/:id removes one. Admin only.
 */
export function registerWebhookEndpointRoutes(app: FastifyInstance, db: Db, sessions: Sessions): void {
  const admin = { preHandler: requireAdminOrSession(db, sessions) };

  app.post('/api/admin/webhook-endpoints', admin, async (request, reply) => {
    const input = parseRequest(webhookEndpointInput, request.body ?? {});
    const created = await createWebhookEndpoint(db, input);
    request.log.info({ webhookEndpointId: created.id, events: created.events }, 'webhook endpoint added');
    return reply.status(201).send({ ...webhookEndpointView(created), secret: created.secret });
  });

  app.get('/api/admin/webhook-endpoints', admin, async () => ({ endpoints: (await listWebhookEndpoints(db)).map(webhookEndpointView) }));

  app.delete('/api/admin/webhook-endpoints/:id', admin, async (request) => {
    const { id } = parseRequest(idParams, request.params, 'params');
    const removed = await deleteWebhookEndpoint(db, id);
    if (!removed) throw notFound('No webhook endpoint with this id');
    request.log.info({ webhookEndpointId: id }, 'webhook endpoint removed');
    return { endpoint: webhookEndpointView(removed) };
  });
}
