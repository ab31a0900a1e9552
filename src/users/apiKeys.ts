import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { findPrincipalByKeyHash } from './sql/findPrincipalByKeyHash.js';
import type { Principal, Role } from './types.js';

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

/**
 * Looks a presented key up by its hash. The comparison happens inside the index on a digest, so response time says
 * nothing about how much of a guessed key was right.
 */
export async function authenticateApiKey(db: Queryable, key: string): Promise<Principal | null> {
  if (!looksLikeApiKey(key)) return null;
  return findPrincipalByKeyHash(db, hashApiKey(key));
}
