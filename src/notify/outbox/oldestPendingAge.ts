import type { Queryable } from '../../db/index.js';

/** Seconds since the oldest pending notification was queued, 0 when none: one probe of notification_outbox_status_idx. */
export async function oldestPendingAgeSeconds(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ age: number }>(
    `SELECT COALESCE(extract(epoch FROM now() - (SELECT created_at FROM notification_outbox WHERE status = 'pending'
                                                  ORDER BY created_at LIMIT 1)), 0)::double precision AS age`,
  );
  return Math.max(0, Number(rows[0]?.age ?? 0));
}
