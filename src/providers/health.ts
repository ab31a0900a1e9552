import { ProviderError } from './types.js';
import type { Around } from './wrap.js';

/** A provider as this process last found the operator's account there. */
export interface ProviderHealthState {
  provider: string;
  state: 'ok' | 'degraded';
  /** While degraded: the provider's code (402: out of credits, 433: key limit, 429, 455, 401) and its words. */
  code?: string;
  message?: string;
  since: Date;
}

export interface ProviderHealth {
  /** Watches every provider call: an account error degrades the provider, any answer clears it. */
  around: Around;
  states(): ProviderHealthState[];
}

/**
 * The operator's provider accounts as this process sees them from its own calls (for /readyz, /metrics and the
 * provider_account alert). `onChange` hears each change of state, not each call.
 */
export function watchProviderHealth(onChange: (state: ProviderHealthState) => void = () => undefined): ProviderHealth {
  const current = new Map<string, ProviderHealthState>();
  const set = (next: ProviderHealthState) => {
    const before = current.get(next.provider);
    current.set(next.provider, next);
    if (before?.state !== next.state || before?.code !== next.code) onChange(next);
  };
  return {
    async around(provider, _operation, call) {
      try {
        const result = await call();
        if (current.get(provider)?.state === 'degraded') set({ provider, state: 'ok', since: new Date() });
        return result;
      } catch (err) {
        if (err instanceof ProviderError && err.account) set({ provider, state: 'degraded', code: err.code, message: err.message, since: new Date() });
        throw err;
      }
    },
    states: () => [...current.values()],
  };
}
