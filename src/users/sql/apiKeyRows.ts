import { beforeMicrosKey, keysetPage, pageMicros, prepared, type NewestFirstKey, type Queryable } from '../../db/index.js';
import type { ApiKeyRecord, Role } from '../types.js';

const INSERT = prepared('insertApiKey', 'INSERT INTO api_keys (id, user_id, key_hash, key_prefix, role) VALUES ($1, $2, $3, $4, $5)');

const LIST = prepared(
  'listApiKeys',
  `SELECT id AS "keyId", key_prefix AS prefix, role, created_at AS "createdAt", revoked_at AS "revokedAt", ${pageMicros('created_at')}
   FROM api_keys WHERE user_id = $1 AND ${beforeMicrosKey('created_at', '$2', '$3')}
   ORDER BY created_at DESC, id DESC
   LIMIT $4`,
);

// Revoking twice keeps the first time: the update matches only a live key, and the read finds a revoked one.
const REVOKE = prepared(
  'revokeApiKey',
  `WITH revoked AS (
     UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
     RETURNING id, user_id, key_hash, revoked_at
   )
   SELECT id AS "keyId", user_id AS "userId", key_hash AS "keyHash", revoked_at AS "revokedAt" FROM revoked
   UNION ALL
   SELECT id, user_id, key_hash, coalesce(revoked_at, now()) FROM api_keys WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM revoked)`,
);

export async function insertApiKey(db: Queryable, key: { keyId: string; userId: string; keyHash: string; prefix: string; role: Role }): Promise<void> {
  await db.query(INSERT, [key.keyId, key.userId, key.keyHash, key.prefix, key.role]);
}

/** A user shown whole (the admin API's user, `settle users show`) carries this many of their newest keys. */
export const KEYS_SHOWN_WITH_USER = 50;

export interface ApiKeyPage {
  keys: ApiKeyRecord[];
  /** The key of the page after this one; null on the last page. */
  next: NewestFirstKey | null;
}

/** A user's keys, newest first (revoked ones too), a page after the key. */
export async function listApiKeys(db: Queryable, q: { userId: string; after: NewestFirstKey | null; limit: number }): Promise<ApiKeyPage> {
  const { rows } = await db.query<ApiKeyRecord & { page_us: number }>(LIST, [q.userId, q.after?.at ?? null, q.after?.id ?? null, q.limit + 1]);
  const { items, next } = keysetPage(rows, q.limit, (k) => k.keyId);
  return { keys: items, next };
}

export interface RevokedKey {
  keyId: string;
  userId: string;
  keyHash: string;
  revokedAt: Date;
}

/** Revokes a key (a revoked one keeps its first revocation time); null when there is no such key. */
export async function revokeApiKey(db: Queryable, keyId: string): Promise<RevokedKey | null> {
  const { rows } = await db.query<RevokedKey>(REVOKE, [keyId]);
  return rows[0] ?? null;
}
