import { filterOnly, type Queryable } from '../../db/index.js';

// Each write names its entry by id; the state test is a filter only, so no index of pending entries is walked instead.
const PENDING = filterOnly("status = 'pending'");

/** Marks a delivered entry sent, if this deliverer still holds its lease. */
export async function markSent(db: Queryable, id: string, lease: string): Promise<boolean> {
  const res = await db.query(
    `UPDATE notification_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1,
            lease_owner = NULL, lease_expires_at = NULL, last_error = NULL
      WHERE id = $1 AND lease_owner = $2 AND ${PENDING}`,
    [id, lease],
  );
  return res.rowCount === 1;
}

/**
 * Counts a failed attempt: due again after delayMs (never later than its retry_until), or dead once it has used all
 * its attempts, its retry window has passed, or the sender said it can never be delivered (giveUp).
 */
export async function markAttemptFailed(
  db: Queryable,
  id: string,
  lease: string,
  failure: { error: string; delayMs: number; giveUp: boolean },
): Promise<'retrying' | 'dead' | 'fenced'> {
  const { rows } = await db.query<{ status: 'pending' | 'dead' }>(
    `UPDATE notification_outbox
        SET attempts = attempts + 1, last_error = $3,
            status = CASE WHEN $5::boolean OR attempts + 1 >= max_attempts OR now() >= retry_until THEN 'dead' ELSE 'pending' END,
            next_attempt_at = LEAST(now() + make_interval(secs => $4::double precision / 1000), retry_until),
            lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND lease_owner = $2 AND ${PENDING}
      RETURNING status`,
    [id, lease, failure.error.slice(0, 2000), failure.delayMs, failure.giveUp],
  );
  const status = rows[0]?.status;
  if (!status) return 'fenced';
  return status === 'dead' ? 'dead' : 'retrying';
}
