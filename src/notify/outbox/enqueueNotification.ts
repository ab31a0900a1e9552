import { randomUUID } from 'node:crypto';
import { prepared, type Queryable } from '../../db/index.js';
import type { Channel } from '../types.js';

export interface NewNotification {
  channel: Channel;
  kind: string;
  payload: Record<string, unknown>;
  dedupeKey: string;
  maxAttempts: number;
}

const ENQUEUE = prepared(
  'enqueueNotifications',
  `INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, max_attempts)
   SELECT id, channel, kind, payload, dedupe_key, max_attempts
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::int[])
          AS n(id, channel, kind, payload, dedupe_key, max_attempts)
   ON CONFLICT (dedupe_key) DO NOTHING`,
);

/** Inserts the entries in the caller's transaction, in one statement; an event already queued is a no-op. */
export async function enqueueNotifications(tx: Queryable, list: readonly NewNotification[]): Promise<number> {
  if (list.length === 0) return 0;
  const res = await tx.query(ENQUEUE, [
    list.map(() => randomUUID()),
    list.map((n) => n.channel),
    list.map((n) => n.kind),
    list.map((n) => JSON.stringify(n.payload)),
    list.map((n) => n.dedupeKey),
    list.map((n) => n.maxAttempts),
  ]);
  return res.rowCount ?? 0;
}

/** One entry; false when the same event was already queued. */
export async function enqueueNotification(tx: Queryable, n: NewNotification): Promise<boolean> {
  return (await enqueueNotifications(tx, [n])) === 1;
}
