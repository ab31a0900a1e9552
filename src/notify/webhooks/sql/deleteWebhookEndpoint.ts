import type { Queryable } from '../../../db/index.js';
import type { WebhookEndpoint } from './listWebhookEndpoints.js';

/** The removed endpoint; null when there is none with this id. Its queued events go dead at their next attempt. */
export async function deleteWebhookEndpoint(db: Queryable, id: string): Promise<WebhookEndpoint | null> {
  const { rows } = await db.query<WebhookEndpoint>(
    'DELETE FROM webhook_endpoints WHERE id = $1 RETURNING id, url, events, created_at',
    [id],
  );
  return rows[0] ?? null;
}
