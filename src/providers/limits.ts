import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from './types.js';
import { aroundRegistry } from './wrap.js';
import type { Provider } from './types.js';

/** At most `max` new provider tasks in any `windowMs` (KIE: 20 per 10 s). */
export interface RateLimit {
  max: number;
  windowMs: number;
}

/**
 * Slots for new provider tasks (createTask calls). `take` never waits: it answers 0 when a slot was taken, or how
 * long until one frees up, so a dispatcher leaves the task pending and due then instead of holding a worker slot or a
 * submitting request.
 */
export interface DispatchSlots {
  /** False when no limit is configured: every take answers 0, so a caller may skip asking. */
  limited: boolean;
  take(provider: string): Promise<number>;
}

/** How long to hold off after a 429 that did not say how long. */
const DEFAULT_BACKOFF_MS = 5_000;
/** A call waits out a 429 pause at most this long in line; a longer pause fails it as rate limited. */
const MAX_PAUSE_WAIT_MS = 10_000;

/**
 * After a provider answers 429, every call to it from this process waits out the pause (Retry-After, bounded), so we
 * back off instead of hammering it. A pause longer than MAX_PAUSE_WAIT_MS fails the call at once as rate limited.
 */
export function withBackOff(registry: { get(name: string): Provider }): { get(name: string): Provider } {
  const pausedUntil = new Map<string, number>();
  return aroundRegistry(registry, async (provider, _operation, call) => {
    const waitMs = (pausedUntil.get(provider) ?? 0) - Date.now();
    if (waitMs > MAX_PAUSE_WAIT_MS) {
      throw new ProviderError('transient', 'rate_limited', `${provider} asked us to wait; calls resume in ${Math.ceil(waitMs / 1000)} s`, { retryAfterMs: waitMs });
    }
    if (waitMs > 0) await sleep(waitMs);
    try {
      return await call();
    } catch (err) {
      if (err instanceof ProviderError && err.code === '429') {
        pausedUntil.set(provider, Math.max(pausedUntil.get(provider) ?? 0, Date.now() + (err.retryAfterMs ?? DEFAULT_BACKOFF_MS)));
      }
      throw err;
    }
  });
}
