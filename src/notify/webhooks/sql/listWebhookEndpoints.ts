import { prepared, type Queryable } from '../../../db/index.js';
import type { WebhookEventType } from '../events.js';

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  created_at: Date;
}

// Read by every settling transaction, so prepared.
const LIST = prepared('listWebhookEndpoints', 'SELECT id, url, events, created_at FROM webhook_endpoints ORDER BY created_at, id');

/** Every registered endpoint, oldest first, without its secret: what a settling transaction sends its events to. */
export async function listWebhookEndpoints(db: Queryable): Promise<WebhookEndpoint[]> {
  return (await db.query<WebhookEndpoint>(LIST)).rows;
}
