import { Counter } from 'prom-client';
import { ProviderError, type Provider } from '../providers/index.js';

/**
 * Provider errors by code, counted in this process as they happen (the database keeps only a per-task count,
 * tasks.provider_errors, which /metrics reports as settle_task_provider_errors_total). Process-wide: every metrics
 * registry of this process shows the same counter.
 */
export const providerErrorsCounter = new Counter({
  name: 'settle_provider_errors_total',
  help: 'Errors from provider calls in this process, by provider, operation and error code (e.g. 429, 500, network, timeout)',
  labelNames: ['provider', 'operation', 'code'] as const,
  registers: [],
});

const SAFE_LABEL = /^[A-Za-z0-9_.-]{1,32}$/;

/** Counts one provider error. Codes outside a small safe alphabet are counted as "other" (bounded cardinality). */
export function recordProviderError(provider: string, operation: string, code: string): void {
  providerErrorsCounter.inc({
    provider: SAFE_LABEL.test(provider) ? provider : 'other',
    operation: SAFE_LABEL.test(operation) ? operation : 'other',
    code: SAFE_LABEL.test(code) ? code : 'other',
  });
}

function counted<T>(provider: string, operation: string, call: () => Promise<T>): Promise<T> {
  return call().catch((err: unknown) => {
    if (err instanceof ProviderError) recordProviderError(provider, operation, err.code);
    throw err;
  });
}

/** The same provider, counting every ProviderError its submit, status and download calls throw. */
export function instrumentProvider(provider: Provider): Provider {
  return {
    name: provider.name,
    submit: (request) => counted(provider.name, 'submit', () => provider.submit(request)),
    status: (providerTaskId) => counted(provider.name, 'status', () => provider.status(providerTaskId)),
    download: (url) => counted(provider.name, 'download', () => provider.download(url)),
    // A callback body that does not parse is bad input from the caller, not a provider error.
    parseCallback: (body, query) => provider.parseCallback(body, query),
  };
}

/** A provider registry whose providers are instrumented (each wrapped once). Wire it where the registry is built. */
export function instrumentProviders<R extends { get(name: string): Provider }>(registry: R): R {
  const wrapped = new Map<Provider, Provider>();
  return {
    ...registry,
    get(name: string): Provider {
      const provider = registry.get(name);
      let instrumented = wrapped.get(provider);
      if (!instrumented) {
        instrumented = instrumentProvider(provider);
        wrapped.set(provider, instrumented);
      }
      return instrumented;
    },
  };
}
