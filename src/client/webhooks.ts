import type { Task } from './types.js';

export type WebhookEventType = 'task.completed' | 'task.failed' | 'task.canceled' | 'task.refunded';

/** The task as GET /api/v1/tasks/:taskId shows it, with its owner: Settle's user id and your app's id for them. */
export type WebhookTask = Task & { userId: string; externalUserId: string | null };

/** What Settle posts to a webhook endpoint. `id` is also the webhook-id header: the same on every retry. */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: WebhookTask;
}

/** The delivery is not one Settle signed with this secret (or it is too old to accept): answer it 400. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

export interface VerifyWebhookOptions {
  /** Deliveries whose webhook-timestamp is further than this from now, either way, are refused (replays); default 300. */
  toleranceSeconds?: number;
  /** The current time in milliseconds; default Date.now(). */
  now?: number;
}

/** A fetch Headers object, or a plain object such as Node's request.headers. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const SECRET_PREFIX = 'whsec_';

/**
 * Checks a delivery's Standard Webhooks signature (HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` with
 * the endpoint's secret) and its timestamp, then returns the parsed event. Pass the raw body exactly as received:
 * JSON parsed and serialised again does not verify. Uses Web Crypto only, so it runs in Node 20+ and browsers.
 */
export async function verifyWebhook(
  body: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const id = headerOf(headers, 'webhook-id');
  const timestamp = headerOf(headers, 'webhook-timestamp');
  const signatures = headerOf(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('Missing a webhook-id, webhook-timestamp or webhook-signature header');
  checkTimestamp(timestamp, options);
  const raw = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body);
  const expected = await sign(await importSecret(secret), id, timestamp, raw);
  if (!matchesAny(signatures, expected)) {
    throw new WebhookVerificationError('No webhook-signature matches: a different secret, or a body that is not the raw one received');
  }
  try {
    return JSON.parse(new TextDecoder().decode(raw)) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('The signed body is not JSON');
  }
}

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : (headers as Record<string, string | string[] | undefined>)[key];
  return Array.isArray(value) ? value.join(' ') : value;
}

function checkTimestamp(timestamp: string, options: VerifyWebhookOptions): void {
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('The webhook-timestamp header is not a unix time in seconds');
  const skew = (options.now ?? Date.now()) / 1000 - Number(timestamp);
  const tolerance = options.toleranceSeconds ?? 300;
  if (skew > tolerance) throw new WebhookVerificationError('The webhook-timestamp is too old: a replayed or long-delayed delivery');
  if (skew < -tolerance) throw new WebhookVerificationError('The webhook-timestamp is in the future: check this machine\'s clock');
}

async function importSecret(secret: string): Promise<CryptoKey> {
  let key: Uint8Array<ArrayBuffer>;
  try {
    key = Uint8Array.from(atob(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret), (c) => c.charCodeAt(0));
  } catch {
    key = new Uint8Array();
  }
  if (key.length === 0) throw new WebhookVerificationError('The secret must be the whsec_… value shown when the endpoint was created');
  return crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

async function sign(key: CryptoKey, id: string, timestamp: string, body: Uint8Array): Promise<string> {
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix);
  message.set(body, prefix.length);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  return btoa(String.fromCharCode(...mac));
}

/** Space-separated `v1,<base64>` entries (more than one while a secret rotates); each compared in constant time. */
function matchesAny(header: string, expected: string): boolean {
  let matched = false;
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (entry.slice(0, comma) === 'v1' && sameText(entry.slice(comma + 1), expected)) matched = true;
  }
  return matched;
}

function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
