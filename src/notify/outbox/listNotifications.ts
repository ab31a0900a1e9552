import { beforeMicrosKey, filterOnly, keysetPage, pageMicros, type NewestFirstKey, type Queryable } from '../../db/index.js';
import type { OutboxEntry, OutboxStatus } from '../types.js';
import { readOutboxCounts } from './outboxStatusCounts.js';

export interface NotificationPage {
  entries: OutboxEntry[];
  /** The key of the page after this one; null at the last page. */
  next: NewestFirstKey | null;
}

/**
 * Entries newest first, a page at a time by keyset: an ordered scan of notification_outbox_status_idx (or
 * notification_outbox_created_idx without a status) that stops after the page, however long the outbox.
 */
export async function listNotifications(db: Queryable, filter: { status?: OutboxStatus; limit: number; after?: NewestFirstKey | null }): Promise<NotificationPage> {
  const { rows } = await db.query<OutboxEntry & { page_us: number }>(
    `SELECT *, ${pageMicros('created_at')} FROM notification_outbox
      WHERE ($1::text IS NULL OR status = $1) AND ${beforeMicrosKey('created_at', '$2', '$3')}
      ORDER BY created_at DESC, id DESC LIMIT $4`,
    [filter.status ?? null, filter.after?.at ?? null, filter.after?.id ?? null, filter.limit + 1],
  );
  const { items, next } = keysetPage(rows, filter.limit, (e) => e.id);
  return { entries: items, next };
}

/** Entries by status, from the counters kept as entries change (migration 0018), not a count of the outbox. */
export async function outboxCounts(db: Queryable): Promise<Record<OutboxStatus, number>> {
  const counts: Record<OutboxStatus, number> = { pending: 0, sent: 0, dead: 0 };
  for (const row of await readOutboxCounts(db)) counts[row.status as OutboxStatus] += row.entries;
  return counts;
}

/** Gives a dead entry a fresh set of attempts, or a fresh retry window; null when there is no dead entry with that id. */
export async function resendNotification(db: Queryable, id: string): Promise<OutboxEntry | null> {
  const { rows } = await db.query<OutboxEntry>(
    `UPDATE notification_outbox
        SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL,
            retry_until = now() + make_interval(secs => retry_window_ms::double precision / 1000)
      WHERE id = $1 AND ${filterOnly("status = 'dead'")} RETURNING *`,
    [id],
  );
  return rows[0] ?? null;
}
