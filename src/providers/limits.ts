import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError, type Provider } from './types.js';

/** At most `max` new provider tasks in any `windowMs` (KIE: 20 per 10 s). */
export interface RateLimit {
  max: number;
  windowMs: number;
}

/** A dispatch that cannot get a slot within this long stays pending and is retried later, so no lease runs out. */
const MAX_SLOT_WAIT_MS = 10_000;
/** How long to hold off after a 429 that did not say how long. */
const DEFAULT_BACKOFF_MS = 5_000;

/**
 * One provider's traffic from this process: a sliding window over new tasks (createTask), and a pause for every
 * call after the provider answered 429, so we back off instead of hammering it.
 */
export class ProviderGate {
  private readonly sent: number[] = [];
  private pausedUntil = 0;

  constructor(private readonly limit: RateLimit | null) {}

  /** Waits for a dispatch slot; throws a transient ProviderError when none frees up in time. */
  async acquireDispatch(): Promise<void> {
    const giveUpAt = Date.now() + MAX_SLOT_WAIT_MS;
    for (;;) {
      const now = Date.now();
      const waitMs = Math.max(this.pausedUntil - now, this.windowWait(now));
      if (waitMs <= 0) {
        if (this.limit) this.sent.push(now);
        return;
      }
      if (now + waitMs > giveUpAt) {
        throw new ProviderError('transient', 'rate_limited', 'No provider dispatch slot free in time; the task stays pending', waitMs);
      }
      await sleep(waitMs);
    }
  }

  /** Waits out a 429 pause (status checks and downloads are not windowed, only paused). */
  async whenOpen(): Promise<void> {
    const waitMs = this.pausedUntil - Date.now();
    if (waitMs > 0) await sleep(Math.min(waitMs, MAX_SLOT_WAIT_MS));
  }

  backOff(ms: number | undefined): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + (ms ?? this.limit?.windowMs ?? DEFAULT_BACKOFF_MS));
  }

  private windowWait(now: number): number {
    if (!this.limit) return 0;
    while (this.sent.length > 0 && this.sent[0]! <= now - this.limit.windowMs) this.sent.shift();
    if (this.sent.length < this.limit.max) return 0;
    return this.sent[this.sent.length - this.limit.max]! + this.limit.windowMs - now;
  }
}

const isRateLimited = (err: unknown): err is ProviderError => err instanceof ProviderError && err.code === '429';

function gated(provider: Provider, gate: ProviderGate): Provider {
  const observe = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (isRateLimited(err)) gate.backOff(err.retryAfterMs);
      throw err;
    }
  };
  return {
    name: provider.name,
    parseCallback: (body, query) => provider.parseCallback(body, query),
    async submit(request) {
      await gate.acquireDispatch();
      return observe(() => provider.submit(request));
    },
    async status(providerTaskId) {
      await gate.whenOpen();
      return observe(() => provider.status(providerTaskId));
    },
    download: (url) => provider.download(url),
  };
}

/**
 * Providers whose calls go through this process's rate limit and 429 back-off: one gate per provider, shared by
 * every caller of the returned registry (submissions, the worker, recovery runs).
 */
export function withRateLimits(providers: { get(name: string): Provider }, limit: RateLimit | null): { get(name: string): Provider } {
  const gates = new Map<string, Provider>();
  return {
    get(name) {
      let provider = gates.get(name);
      if (!provider) {
        provider = gated(providers.get(name), new ProviderGate(limit));
        gates.set(name, provider);
      }
      return provider;
    },
  };
}
