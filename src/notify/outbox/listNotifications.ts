import type { Queryable } from '../../db/index.js';
import type { OutboxEntry, OutboxStatus } from '../types.js';

export async function listNotifications(db: Queryable, filter: { status?: OutboxStatus; limit: number; offset?: number }): Promise<OutboxEntry[]> {
  const { rows } = await db.query<OutboxEntry>(
    `SELECT * FROM notification_outbox WHERE ($1::text IS NULL OR status = $1)
      ORDER BY created_at DESC LIMIT $2 OFFSET $3`,
    [filter.status ?? null, filter.limit, filter.offset ?? 0],
  );
  return rows;
}

export async function outboxCounts(db: Queryable): Promise<Record<OutboxStatus, number>> {
  const { rows } = await db.query<{ status: OutboxStatus; n: number }>(
    'SELECT status, count(*)::int AS n FROM notification_outbox GROUP BY status',
  );
  const counts: Record<OutboxStatus, number> = { pending: 0, sent: 0, dead: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/** Gives a dead entry a fresh set of attempts, or a fresh retry window; null when there is no dead entry with that id. */
export async function resendNotification(db: Queryable, id: string): Promise<OutboxEntry | null> {
  const { rows } = await db.query<OutboxEntry>(
    `UPDATE notification_outbox
        SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL,
            retry_until = now() + make_interval(secs => retry_window_ms::double precision / 1000)
      WHERE id = $1 AND status = 'dead' RETURNING *`,
    [id],
  );
  return rows[0] ?? null;
}
