import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { insertApiKey } from './sql/apiKeyRows.js';
import { findPrincipalByKeyHash } from './sql/findPrincipalByKeyHash.js';
import type { Principal, Role } from './types.js';

const KEY_PREFIX = 'sk_settle_';

/** Keys carry 192 random bits, so a plain SHA-256 is a safe one-way store and doubles as the lookup index. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new key for the user: the key itself is returned once, and only its hash is stored. */
export async function createApiKey(db: Queryable, userId: string, role: Role): Promise<{ keyId: string; apiKey: string }> {
  const apiKey = KEY_PREFIX + randomBytes(24).toString('base64url');
  const keyId = randomUUID();
  await insertApiKey(db, { keyId, userId, keyHash: hashApiKey(apiKey), prefix: apiKey.slice(0, KEY_PREFIX.length + 4), role });
  return { keyId, apiKey };
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
