import { beforeMicrosKey, keysetPage, pageMicros, prepared, type NewestFirstKey, type Queryable } from '../../../db/index.js';
import type { WebhookEndpoint } from './listWebhookEndpoints.js';

const PAGE = prepared(
  'listWebhookEndpointsPage',
  `SELECT id, url, events, created_at, ${pageMicros('created_at')}
   FROM webhook_endpoints WHERE ${beforeMicrosKey('created_at', '$1', '$2')}
   ORDER BY created_at DESC, id DESC
   LIMIT $3`,
);

export interface WebhookEndpointPage {
  endpoints: WebhookEndpoint[];
  /** The key of the page after this one; null on the last page. */
  next: NewestFirstKey | null;
}

/** The endpoints as admins list them: newest first, a page after the key (an ordered scan of webhook_endpoints_created_idx). */
export async function listWebhookEndpointsPage(db: Queryable, q: { after: NewestFirstKey | null; limit: number }): Promise<WebhookEndpointPage> {
  const { rows } = await db.query<WebhookEndpoint & { page_us: number }>(PAGE, [q.after?.at ?? null, q.after?.id ?? null, q.limit + 1]);
  const { items, next } = keysetPage(rows, q.limit, (e) => e.id);
  return { endpoints: items, next };
}
