import type { Credits } from './types.js';
import type { WebhookEventType } from './webhooks.js';

/** A user as the admin API shows it. */
export interface User {
  userId: string;
  /** Your app's own id for this user (unique), when you gave one. */
  externalId: string | null;
  email: string | null;
  name: string | null;
  createdAt: string;
}

export interface UserWithCredits extends User {
  credits: Credits;
}

export interface ApiKeyInfo {
  keyId: string;
  /** The key's first characters, to tell keys apart; the key itself is shown only when made. */
  prefix: string;
  role: 'user' | 'admin';
  createdAt: string;
  revokedAt: string | null;
}

export interface UserDetail extends UserWithCredits {
  /** The newest 50 keys; keysNextCursor pages on with keys.list. */
  keys: ApiKeyInfo[];
  keysNextCursor: string | null;
}

export interface PageQuery {
  cursor?: string;
  limit?: number;
}

export interface ApiKeyPage {
  keys: ApiKeyInfo[];
  nextCursor: string | null;
}

export interface NewUser {
  /** Your app's user id: creating again with it answers the same user and grants nothing. */
  externalId?: string;
  email?: string;
  name?: string;
  /** Opening grant, made only when the user is created. */
  credits?: number;
}

export interface UserQuery extends PageQuery {
  externalId?: string;
  email?: string;
}

export interface UserPage {
  users: UserWithCredits[];
  nextCursor: string | null;
}

export interface CreatedKey {
  keyId: string;
  /** Shown once: store it now, or make another. */
  apiKey: string;
  userId: string;
}

export interface RevokedKey {
  keyId: string;
  userId: string;
  revokedAt: string;
}

export interface CreditMove extends Credits {
  transactionId: number;
  /** True when this reference had already moved this amount: nothing changed, and this is the first answer. */
  replayed: boolean;
}

export interface Refund extends Credits {
  taskId: string;
  userId: string;
  transactionId: number;
  creditsRefunded: number;
  reason: string | null;
  refundedAt: string;
  /** True when the task had been refunded before: nothing changed. */
  replayed: boolean;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  createdAt: string;
  /** `whsec_…`, returned when the endpoint is made: verify deliveries with it (verifyWebhook). */
  secret?: string;
}

export interface WebhookEndpointPage {
  endpoints: WebhookEndpoint[];
  nextCursor: string | null;
}
