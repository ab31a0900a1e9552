import type { Queryable } from '../db/index.js';
import { authenticateApiKey, hashApiKey, looksLikeApiKey } from './apiKeys.js';
import type { Principal } from './types.js';

export interface ApiKeyCacheOptions {
  /** How long a key stays trusted without asking the database again: the longest a revocation takes to bite. */
  ttlMs: number;
  /** Least recently used keys are dropped past this many. */
  maxEntries: number;
}

export interface ApiKeyCache {
  authenticate(db: Queryable, key: string): Promise<Principal | null>;
  /** Drops a key (by its hash) at once: revoked here, it stops working in this process without waiting for the TTL. */
  forget(keyHash: string): void;
}

/**
 * Remembers recently seen valid keys (by hash, never the key) so a busy client costs no database read per request.
 * Unknown and revoked keys are never remembered: a new key works at once, and a flood of guesses cannot evict
 * real entries.
 */
export function createApiKeyCache(options: ApiKeyCacheOptions): ApiKeyCache {
  const entries = new Map<string, { principal: Principal; expiresAt: number }>();
  return {
    async authenticate(db, key) {
      if (!looksLikeApiKey(key)) return null;
      const hash = hashApiKey(key);
      const hit = entries.get(hash);
      const now = Date.now();
      if (hit && hit.expiresAt > now) {
        // Re-inserting moves the entry to the end of the Map's order, which makes the first entry the least recent.
        entries.delete(hash);
        entries.set(hash, hit);
        return hit.principal;
      }
      entries.delete(hash);
      const principal = await authenticateApiKey(db, key);
      if (!principal) return null;
      entries.set(hash, { principal, expiresAt: now + options.ttlMs });
      if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
      return principal;
    },
    forget(keyHash) {
      entries.delete(keyHash);
    },
  };
}
