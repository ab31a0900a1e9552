import type { Queryable } from '../../db/index.js';
import type { OutboxEntry } from '../types.js';

/** Leases due entries; SKIP LOCKED keeps two delivering instances off each other's entries. */
export async function claimDueNotifications(db: Queryable, lease: string, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
  const { rows } = await db.query<OutboxEntry>(
    `UPDATE notification_outbox
        SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2::double precision / 1000)
      WHERE id IN (SELECT id FROM notification_outbox
                    WHERE status = 'pending' AND next_attempt_at <= now()
                      AND (lease_expires_at IS NULL OR lease_expires_at < now())
                    ORDER BY next_attempt_at
                    LIMIT $3
                    FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [lease, leaseMs, limit],
  );
  return rows;
}
