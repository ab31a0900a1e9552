import { prepared, type Queryable } from '../../db/index.js';

const FIND = prepared('findRevokedSession', 'SELECT 1 AS revoked FROM revoked_sessions WHERE session_id = $1');

/** True when the session was signed out (on any instance); a primary-key lookup on every cookie-authenticated request. */
export async function isSessionRevoked(db: Queryable, sessionId: string): Promise<boolean> {
  const { rows } = await db.query(FIND, [sessionId]);
  return rows.length > 0;
}
