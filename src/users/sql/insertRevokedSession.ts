import type { Queryable } from '../../db/index.js';

/**
 * Records a sign-out until the session's own expiry, and in the same statement drops the sign-outs whose sessions
 * have expired since (an index range on expires_at): sign-outs are rare, so the table stays as small as the number
 * of signed-out sessions still alive, with no sweeper to run. Signing out twice keeps the first row.
 */
export async function insertRevokedSession(db: Queryable, sessionId: string, expiresAt: Date): Promise<void> {
  await db.query(
    `WITH pruned AS (DELETE FROM revoked_sessions WHERE expires_at < now())
     INSERT INTO revoked_sessions (session_id, expires_at) VALUES ($1, $2)
     ON CONFLICT (session_id) DO NOTHING`,
    [sessionId, expiresAt],
  );
}
