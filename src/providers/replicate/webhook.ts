import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The Standard Webhooks headers Replicate sends with every webhook. */
export const REPLICATE_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

export interface ReplicateWebhookSigning {
  /** The webhook-id header: unique per message, the same on every retry of it. */
  id: string;
  /** The webhook-timestamp header, unix seconds. */
  timestamp: number | string;
  /** The raw request body, exactly as received. */
  body: string;
  /** The signing secret, `whsec_<base64 key>` (GET /v1/webhooks/default/secret). */
  secret: string;
}

/** The webhook-signature header for a message: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
export function signReplicateWebhook(signing: ReplicateWebhookSigning): string {
  return new Webhook(signing.secret).sign(signing.id, new Date(Number(signing.timestamp) * 1000), signing.body);
}

export interface ReplicateWebhookCheck {
  id: string | undefined;
  timestamp: string | undefined;
  /** The webhook-signature header: space-separated `v1,<base64>` entries (several while a secret rotates). */
  signatureHeader: string | undefined;
  /** The raw request body: re-serialised JSON does not verify. */
  body: string;
  /** `whsec_<base64>`. */
  secret: string;
  /** Timestamps further than this from now (past or future) are refused, so a captured webhook cannot be replayed. */
  maxSkewSeconds?: number;
  nowMs?: number;
}

/**
 * Standard Webhooks verification, as Replicate documents it; false for anything missing, stale or forged. The
 * signature is the standardwebhooks library's. Its own verify() is not used because it reads the clock itself with
 * a fixed five-minute window, and the replay window here is a setting (and a test's clock): the window is checked
 * first, then each presented v1 entry against the library's signature of the message, in constant time.
 */
export function verifyReplicateWebhook(check: ReplicateWebhookCheck): boolean {
  const { id, timestamp, signatureHeader } = check;
  if (!id || !timestamp || !signatureHeader || !/^\d+$/.test(timestamp)) return false;
  const skew = Math.abs((check.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (skew > (check.maxSkewSeconds ?? 300)) return false;
  const expected = expectedSignature(check.secret, id, timestamp, check.body);
  if (!expected) return false;
  // Every entry is compared, so the time taken does not depend on which one matched.
  let matched = false;
  for (const entry of signatureHeader.split(' ')) {
    const received = Buffer.from(entry);
    if (received.length === expected.length && timingSafeEqual(received, expected)) matched = true;
  }
  return matched;
}

/** `v1,<base64>` as the library signs the message; null for a secret it cannot use (empty, not base64). */
function expectedSignature(secret: string, id: string, timestamp: string, body: string): Buffer | null {
  try {
    return Buffer.from(signReplicateWebhook({ id, timestamp, body, secret }));
  } catch {
    return null;
  }
}
