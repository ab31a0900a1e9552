import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import { listNotifications, outboxCounts, resendNotification, type OutboxEntry, type WebhookPayload } from '../../notify/index.js';
import { requireAdminOrSession, type Sessions } from '../auth/index.js';
import { AUTH_ERRORS, BEARER_OR_SESSION, cursor, decodeCursor, encodeCursor, errorResponses, openObject, timeIdKey } from '../contract.js';
import { ApiError } from '../errors.js';

const listQuery = z.strictObject({
  status: z.enum(['pending', 'sent', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: cursor.optional(),
});
const idParams = z.object({ id: z.uuid() });

const outboxEntry = z.looseObject({ id: z.uuid(), channel: z.string(), kind: z.string(), status: z.enum(['pending', 'sent', 'dead']) });
const entryList = openObject(
  { entries: z.array(outboxEntry), counts: z.looseObject({}), nextCursor: z.string().nullable() },
  'entries newest first, a page at a time (pass nextCursor as cursor for the next), and counts by status',
);

export function outboxEntryView(entry: OutboxEntry) {
  return {
    id: entry.id,
    channel: entry.channel,
    kind: entry.kind,
    status: entry.status,
    attempts: entry.attempts,
    maxAttempts: entry.max_attempts,
    retryUntil: entry.retry_until?.toISOString() ?? null,
    lastError: entry.last_error,
    payload: payloadView(entry),
    createdAt: entry.created_at.toISOString(),
    nextAttemptAt: entry.next_attempt_at.toISOString(),
    sentAt: entry.sent_at?.toISOString() ?? null,
  };
}

/** E-mails show what they are about; a webhook shows its event, not its body; an alert only its kind. */
function payloadView(entry: OutboxEntry): Record<string, unknown> {
  if (entry.channel === 'email') return entry.payload;
  if (entry.channel !== 'webhook') return { kind: entry.kind };
  const { endpointId, eventId, type, taskId } = entry.payload as WebhookPayload;
  return { endpointId, eventId, type, taskId };
}

export function registerOutboxRoutes(app: FastifyInstance, db: Db, sessions: Sessions): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const admin = requireAdminOrSession(db, sessions);
  const route = (summary: string) => ({ tags: ['operations'], summary, security: BEARER_OR_SESSION });

  api.get(
    '/api/admin/outbox',
    { preValidation: admin, schema: { ...route('Notifications: pending, sent and dead'), querystring: listQuery, response: { 200: entryList, ...errorResponses(...AUTH_ERRORS) } } },
    async (request) => {
      const { cursor: page, ...filter } = request.query;
      const list = await listNotifications(db, { ...filter, after: decodeCursor(page, timeIdKey) });
      const counts = await outboxCounts(db);
      return { entries: list.entries.map(outboxEntryView), counts, nextCursor: encodeCursor(list.next) };
    },
  );

  api.post(
    '/api/admin/outbox/:id/resend',
    { preValidation: admin, schema: { ...route('Send a dead notification again'), params: idParams, response: { 200: openObject({ entry: outboxEntry }, 'the entry, pending again'), ...errorResponses(...AUTH_ERRORS, 404) } } },
    async (request) => {
      const entry = await resendNotification(db, request.params.id);
      if (!entry) throw new ApiError(404, 'not_found', 'No dead outbox entry with this id');
      return { entry: outboxEntryView(entry) };
    },
  );
}
