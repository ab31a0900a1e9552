import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import { listNotifications, outboxCounts, resendNotification, type OutboxEntry, type WebhookPayload } from '../../notify/index.js';
import { requireAdminOrSession, type Sessions } from '../auth/index.js';
import { ApiError, parseRequest } from '../errors.js';

const listQuery = z.strictObject({
  status: z.enum(['pending', 'sent', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const idParams = z.object({ id: z.uuid() });

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
  const admin = { preHandler: requireAdminOrSession(db, sessions) };

  app.get('/api/admin/outbox', admin, async (request) => {
    const query = parseRequest(listQuery, request.query, 'query');
    const [entries, counts] = await Promise.all([listNotifications(db, query), outboxCounts(db)]);
    return { entries: entries.map(outboxEntryView), counts };
  });

  app.post('/api/admin/outbox/:id/resend', admin, async (request) => {
    const { id } = parseRequest(idParams, request.params, 'params');
    const entry = await resendNotification(db, id);
    if (!entry) throw new ApiError(404, 'not_found', 'No dead outbox entry with this id');
    return { entry: outboxEntryView(entry) };
  });
}
