import type { Provider } from './types.js';

export interface ProviderRegistry {
  /** Throws when no provider of that name is configured (a catalog entry naming an unknown provider). */
  get(name: string): Provider;
}

export function createProviderRegistry(providers: Provider[]): ProviderRegistry {
  const byName = new Map(providers.map((provider) => [provider.name, provider]));
  return {
    get(name) {
      const provider = byName.get(name);
      if (provider) return provider;
      const known = [...byName.keys()].join(', ') || 'none';
      throw new Error(`Unknown provider "${name}" (configured: ${known})`);
    },
  };
}
