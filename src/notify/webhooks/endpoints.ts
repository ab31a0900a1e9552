import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../../db/index.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './events.js';
import { insertWebhookEndpoint } from './sql/insertWebhookEndpoint.js';
import type { WebhookEndpoint } from './sql/listWebhookEndpoints.js';

const MAX_URL_LENGTH = 2048;
/** Standard Webhooks secrets are 24 to 64 random bytes. */
const SECRET_BYTES = 32;

/**
 * A new endpoint as the admin route and the CLI take it. Admins register endpoints, so any http(s) URL is allowed,
 * loopback and private addresses included; no events means all of them.
 */
export const webhookEndpointInput = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }).max(MAX_URL_LENGTH),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .transform((events) => [...new Set(events)])
    .default([...WEBHOOK_EVENT_TYPES]),
});
export type WebhookEndpointInput = z.input<typeof webhookEndpointInput>;

/** An endpoint as the admin API and the CLI show it: never its secret, which only its creation's answer carries. */
export const webhookEndpointView = (e: WebhookEndpoint) => ({ id: e.id, url: e.url, events: e.events, createdAt: e.created_at.toISOString() });

export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  /** `whsec_<base64>`: shown once, at creation; every delivery to this endpoint is signed with it. */
  secret: string;
}

export async function createWebhookEndpoint(
  db: Queryable,
  input: { url: string; events: readonly WebhookEventType[] },
): Promise<CreatedWebhookEndpoint> {
  const secret = `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
  const endpoint = await insertWebhookEndpoint(db, { id: randomUUID(), url: input.url, events: input.events, secret });
  return { ...endpoint, secret };
}
