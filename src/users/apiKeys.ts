import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { prepared, type Queryable } from '../db/index.js';

export type Role = 'user' | 'admin';

export interface Principal {
  userId: string;
  email: string;
  role: Role;
  keyId: string;
}

const KEY_PREFIX = 'sk_settle_';

/** Keys carry 192 random bits, so a plain SHA-256 is a safe one-way store and doubles as the lookup index. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export async function createApiKey(db: Queryable, userId: string, role: Role): Promise<string> {
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  await db.query('INSERT INTO api_keys (id, user_id, key_hash, key_prefix, role) VALUES ($1, $2, $3, $4, $5)', [
    randomUUID(),
    userId,
    hashApiKey(key),
    key.slice(0, KEY_PREFIX.length + 4),
    role,
  ]);
  return key;
}

/** Anything else is refused without hashing or a database read. */
export function looksLikeApiKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX) && key.length <= 200;
}

const AUTHENTICATE = prepared(
  'authenticateApiKey',
  `SELECT k.user_id AS "userId", u.email, k.role, k.id AS "keyId"
     FROM api_keys k JOIN users u ON u.id = k.user_id
    WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
);

/**
 * Looks a presented key up by its hash. The comparison happens inside the index on a digest, so response time says
 * nothing about how much of a guessed key was right.
 */
export async function authenticateApiKey(db: Queryable, key: string): Promise<Principal | null> {
  if (!looksLikeApiKey(key)) return null;
  const { rows } = await db.query<Principal>(AUTHENTICATE, [hashApiKey(key)]);
  return rows[0] ?? null;
}
