export type Channel = 'email' | 'slack' | 'discord';
export type OutboxStatus = 'pending' | 'sent' | 'dead';

export interface OutboxEntry {
  id: string;
  channel: Channel;
  kind: string;
  payload: Record<string, unknown>;
  dedupe_key: string;
  status: OutboxStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  created_at: Date;
  sent_at: Date | null;
}
