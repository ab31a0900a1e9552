export { createMetrics, type Metrics, type MetricsOptions } from './registry.js';
export { readSnapshot, LATENCY_BUCKETS, RUN_DURATION_BUCKETS, type MetricsSnapshot } from './snapshot.js';
export { countProviderErrors, recordProviderError, providerErrorsCounter } from './providerErrors.js';
