import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/index.js';
import type { Channel } from '../types.js';

export interface NewNotification {
  channel: Channel;
  kind: string;
  payload: Record<string, unknown>;
  dedupeKey: string;
  maxAttempts: number;
}

/** Inserts the entry in the caller's transaction; a second enqueue of the same event is a no-op. */
export async function enqueueNotification(tx: Queryable, n: NewNotification): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, max_attempts)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING`,
    [randomUUID(), n.channel, n.kind, n.payload, n.dedupeKey, n.maxAttempts],
  );
  return res.rowCount === 1;
}
