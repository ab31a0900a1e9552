import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpointsPage,
  WEBHOOK_EVENT_TYPES,
  webhookEndpointInput,
  webhookEndpointView,
} from '../../notify/index.js';
import { requireAdminOrSession, type Sessions } from '../auth/index.js';
import { AUTH_ERRORS, BEARER_OR_SESSION, decodeCursor, encodeCursor, errorResponses, isoDate, pageQuery, timeIdKey } from '../contract.js';
import { notFound } from '../errors.js';

const endpointView = z
  .object({ id: z.uuid(), url: z.string(), events: z.array(z.enum(WEBHOOK_EVENT_TYPES)), createdAt: isoDate })
  .meta({ id: 'WebhookEndpoint' });
const createdEndpoint = endpointView.extend({ secret: z.string().describe('whsec_…: shown once; verify deliveries with it (verifyWebhook)') });
const idParams = z.object({ id: z.uuid() });
const tags = ['webhooks'];

/**
 * POST /api/admin/webhook-endpoints `{url, events?}` registers an endpoint for signed task events (201 with its
 * `whsec_…` secret, shown once), GET lists them newest first by keyset (`cursor`, `limit`), DELETE
 * /api/admin/webhook-endpoints/:id removes one. Admin only.
 */
export function registerWebhookEndpointRoutes(app: FastifyInstance, db: Db, sessions: Sessions): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const admin = requireAdminOrSession(db, sessions);

  api.post(
    '/api/admin/webhook-endpoints',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: 'Register an endpoint for signed task events (Standard Webhooks)',
        security: BEARER_OR_SESSION,
        body: webhookEndpointInput,
        response: { 201: createdEndpoint, ...errorResponses(...AUTH_ERRORS) },
      },
    },
    async (request, reply) => {
      const created = await createWebhookEndpoint(db, request.body);
      request.log.info({ webhookEndpointId: created.id, events: created.events }, 'webhook endpoint added');
      return reply.status(201).send({ ...webhookEndpointView(created), secret: created.secret });
    },
  );

  api.get(
    '/api/admin/webhook-endpoints',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: 'The registered webhook endpoints, newest first (never their secrets)',
        security: BEARER_OR_SESSION,
        querystring: pageQuery,
        response: { 200: z.object({ endpoints: z.array(endpointView), nextCursor: z.string().nullable() }), ...errorResponses(...AUTH_ERRORS) },
      },
    },
    async (request) => {
      const page = await listWebhookEndpointsPage(db, { after: decodeCursor(request.query.cursor, timeIdKey), limit: request.query.limit });
      return { endpoints: page.endpoints.map(webhookEndpointView), nextCursor: encodeCursor(page.next) };
    },
  );

  api.delete(
    '/api/admin/webhook-endpoints/:id',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: 'Remove an endpoint; its queued deliveries are dropped',
        security: BEARER_OR_SESSION,
        params: idParams,
        response: { 200: z.object({ endpoint: endpointView }), ...errorResponses(...AUTH_ERRORS, 404) },
      },
    },
    async (request) => {
      const removed = await deleteWebhookEndpoint(db, request.params.id);
      if (!removed) throw notFound('No webhook endpoint with this id');
      request.log.info({ webhookEndpointId: request.params.id }, 'webhook endpoint removed');
      return { endpoint: webhookEndpointView(removed) };
    },
  );
}
