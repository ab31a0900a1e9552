import type { Provider, ProviderOperation } from './types.js';

/** Runs around each provider call: metrics, back-off and health watch every call the same way. */
export type Around = <T>(provider: string, operation: ProviderOperation, call: () => Promise<T>) => Promise<T>;

/** The same provider with every call (submit, status, download, cancel, account) passed through `around`. */
export function aroundCalls(provider: Provider, around: Around): Provider {
  const name = provider.name;
  return {
    name,
    submit: (request) => around(name, 'submit', () => provider.submit(request)),
    status: (id) => around(name, 'status', () => provider.status(id)),
    download: (url, options) => around(name, 'download', () => provider.download(url, options)),
    // A callback body that does not parse is bad input from the caller, not a provider call.
    parseCallback: (body, query) => provider.parseCallback(body, query),
    ...(provider.cancel && { cancel: (id: string) => around(name, 'cancel', () => provider.cancel!(id)) }),
    ...(provider.account && { account: () => around(name, 'account', () => provider.account!()) }),
  };
}

/** A registry whose providers are each wrapped once, on first use. */
export function aroundRegistry(registry: { get(name: string): Provider }, around: Around): { get(name: string): Provider } {
  const wrapped = new Map<Provider, Provider>();
  return {
    get(name) {
      const provider = registry.get(name);
      let around_ = wrapped.get(provider);
      if (!around_) {
        around_ = aroundCalls(provider, around);
        wrapped.set(provider, around_);
      }
      return around_;
    },
  };
}
