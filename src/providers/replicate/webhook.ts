import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the base64-decoded part of the secret. */
export function signReplicateWebhook(signing: ReplicateWebhookSigning): string {
  return `v1,${signature(signing, signingKey(signing.secret))}`;
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

/** Standard Webhooks verification, as Replicate documents it; false for anything missing, stale or forged. */
export function verifyReplicateWebhook(check: ReplicateWebhookCheck): boolean {
  const { id, timestamp, signatureHeader } = check;
  if (!id || !timestamp || !signatureHeader || !/^\d+$/.test(timestamp)) return false;
  const skew = Math.abs((check.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (skew > (check.maxSkewSeconds ?? 300)) return false;
  const key = signingKey(check.secret);
  if (key.length === 0) return false;
  const expected = Buffer.from(signature({ id, timestamp, body: check.body }, key));
  let matched = false;
  for (const entry of signatureHeader.split(' ')) {
    const [version, value] = splitOnce(entry, ',');
    if (version !== 'v1' || !value) continue;
    const received = Buffer.from(value);
    // timingSafeEqual throws on a length mismatch, and the length alone leaks nothing about the key. Every entry
    // is compared, so the time taken does not depend on which one matched.
    if (received.length === expected.length && timingSafeEqual(received, expected)) matched = true;
  }
  return matched;
}

function signature(content: Omit<ReplicateWebhookSigning, 'secret'>, key: Buffer): string {
  return createHmac('sha256', key).update(`${content.id}.${content.timestamp}.${content.body}`).digest('base64');
}

/** The key is the base64 part after `whsec_`; a secret without the prefix is taken as the base64 key itself. */
function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
