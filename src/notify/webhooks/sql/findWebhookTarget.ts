import type { Queryable } from '../../../db/index.js';

export interface WebhookTarget {
  url: string;
  secret: string;
}

/** Where an endpoint's deliveries go and the secret they are signed with; only the sender reads the secret. */
export async function findWebhookTarget(db: Queryable, endpointId: string): Promise<WebhookTarget | null> {
  const { rows } = await db.query<WebhookTarget>('SELECT url, secret FROM webhook_endpoints WHERE id = $1', [endpointId]);
  return rows[0] ?? null;
}
