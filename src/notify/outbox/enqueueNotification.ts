import { randomUUID } from 'node:crypto';
import { prepared, type Queryable } from '../../db/index.js';
import type { Channel } from '../types.js';

/** When a failing entry gives up: after a number of attempts, or after failing for a time (webhooks). */
export type GiveUpRule = { maxAttempts: number; retryWindowMs?: never } | { retryWindowMs: number; maxAttempts?: never };

export type NewNotification = {
  channel: Channel;
  kind: string;
  payload: Record<string, unknown>;
  dedupeKey: string;
} & GiveUpRule;

const ENQUEUE = prepared(
  'enqueueNotifications',
  `INSERT INTO notification_outbox (id, channel, kind, payload, dedupe_key, max_attempts, retry_window_ms, retry_until)
   SELECT id, channel, kind, payload, dedupe_key, max_attempts, retry_window_ms,
          now() + make_interval(secs => retry_window_ms::double precision / 1000)
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::int[], $7::int[])
          AS n(id, channel, kind, payload, dedupe_key, max_attempts, retry_window_ms)
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
    list.map((n) => n.maxAttempts ?? null),
    list.map((n) => n.retryWindowMs ?? null),
  ]);
  return res.rowCount ?? 0;
}

/** One entry; false when the same event was already queued. */
export async function enqueueNotification(tx: Queryable, n: NewNotification): Promise<boolean> {
  return (await enqueueNotifications(tx, [n])) === 1;
}
