import { Webhook } from 'standardwebhooks';
import type { Queryable } from '../../db/index.js';
import { UndeliverableError } from '../delivery.js';
import type { Sender } from '../senders.js';
import { findWebhookTarget } from './sql/findWebhookTarget.js';
import type { WebhookPayload } from './taskWebhooks.js';

/** An endpoint that has not answered within this is tried again later (DESIGN section 12). */
export const WEBHOOK_ANSWER_TIMEOUT_MS = 15_000;

/**
 * Posts the event's stored body to its endpoint, signed per Standard Webhooks with the endpoint's secret: the
 * webhook-id is the event id (the same on every retry, so receivers can drop duplicates), the timestamp is this
 * attempt's. A 2xx answer is success; anything else, a redirect included, is retried.
 */
export function createTaskWebhookSender(db: Queryable): Sender {
  return async (entry) => {
    const payload = entry.payload as WebhookPayload;
    const target = await findWebhookTarget(db, payload.endpointId);
    if (!target) throw new UndeliverableError(`webhook endpoint ${payload.endpointId} was removed`);
    const sentAt = new Date();
    const res = await post(target.url, payload.body, {
      'content-type': 'application/json',
      'user-agent': 'Settle-Webhooks',
      'webhook-id': payload.eventId,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': new Webhook(target.secret).sign(payload.eventId, sentAt, payload.body),
    });
    // Only the status goes into the error: the URL may carry the receiver's own token.
    if (res.status < 200 || res.status > 299) throw new Error(`the endpoint answered HTTP ${res.status}`);
  };
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number }> {
  try {
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(WEBHOOK_ANSWER_TIMEOUT_MS) });
    await res.body?.cancel();
    return res;
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new Error(`no answer within ${WEBHOOK_ANSWER_TIMEOUT_MS / 1000} s`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`could not reach the endpoint: ${cause?.code ?? cause?.message ?? String(err)}`);
  }
}
