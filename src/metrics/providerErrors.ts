import { Counter } from 'prom-client';
import { ProviderError, type Around } from '../providers/index.js';

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

/** Counts every ProviderError a provider call throws, by provider, operation and code. */
export const countProviderErrors: Around = async (provider, operation, call) => {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError) recordProviderError(provider, operation, err.code);
    throw err;
  }
};
