import { createHmac, timingSafeEqual } from 'node:crypto';

/** KIE's webhook signature: base64(HMAC-SHA256(`<providerTaskId>.<timestampSeconds>`, webhookHmacKey)). */
export function signKieCallback(providerTaskId: string, timestampSeconds: number | string, key: string): string {
  return createHmac('sha256', key).update(`${providerTaskId}.${timestampSeconds}`).digest('base64');
}

export interface KieSignatureCheck {
  providerTaskId: string;
  /** The X-Webhook-Timestamp header (unix seconds). */
  timestamp: string | undefined;
  /** The X-Webhook-Signature header. */
  signature: string | undefined;
  key: string;
  /** Older (or further in the future) than this is refused, so a captured callback cannot be replayed later. */
  maxSkewSeconds?: number;
  nowMs?: number;
}

export function verifyKieCallback(check: KieSignatureCheck): boolean {
  const { timestamp, signature } = check;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const skew = Math.abs((check.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (skew > (check.maxSkewSeconds ?? 300)) return false;
  const expected = Buffer.from(signKieCallback(check.providerTaskId, timestamp, check.key));
  const received = Buffer.from(signature);
  // timingSafeEqual throws on a length mismatch, and the length alone leaks nothing about the key.
  return expected.length === received.length && timingSafeEqual(expected, received);
}
