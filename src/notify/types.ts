export type Channel = 'email' | 'slack' | 'discord' | 'webhook';
export type OutboxStatus = 'pending' | 'sent' | 'dead';

export interface OutboxEntry {
  id: string;
  channel: Channel;
  kind: string;
  payload: Record<string, unknown>;
  dedupe_key: string;
  status: OutboxStatus;
  attempts: number;
  /** E-mails and alerts give up after this many attempts; null for an entry retried for a time instead. */
  max_attempts: number | null;
  /** Webhooks give up once they have been failing this long since queued or re-sent (WEBHOOK_RETRY_HOURS). */
  retry_window_ms: number | null;
  retry_until: Date | null;
  next_attempt_at: Date;
  last_error: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  created_at: Date;
  sent_at: Date | null;
}
