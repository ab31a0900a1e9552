import type { Queryable } from '../../../db/index.js';
import type { WebhookEventType } from '../events.js';
import type { WebhookEndpoint } from './listWebhookEndpoints.js';

export async function insertWebhookEndpoint(
  db: Queryable,
  endpoint: { id: string; url: string; events: readonly WebhookEventType[]; secret: string },
): Promise<WebhookEndpoint> {
  const { rows } = await db.query<WebhookEndpoint>(
    `INSERT INTO webhook_endpoints (id, url, events, secret) VALUES ($1, $2, $3::text[], $4)
     RETURNING id, url, events, created_at`,
    [endpoint.id, endpoint.url, endpoint.events, endpoint.secret],
  );
  return rows[0]!;
}
