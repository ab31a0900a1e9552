export * from './types.js';
export * from './catalog.js';
export { createKieProvider, type KieProviderOptions } from './kie/adapter.js';
export { signKieCallback, verifyKieCallback, type KieSignatureCheck } from './kie/signature.js';
export { createProviderRegistry, type ProviderRegistry } from './registry.js';
export { streamDownload, type DownloadPolicy } from './download.js';
export {
  createReplicateProvider,
  parseReplicateCallback,
  type ReplicateProvider,
  type ReplicateProviderOptions,
  type WebhookVerdict,
} from './replicate/adapter.js';
export {
  REPLICATE_WEBHOOK_HEADERS,
  signReplicateWebhook,
  verifyReplicateWebhook,
  type ReplicateWebhookCheck,
  type ReplicateWebhookSigning,
} from './replicate/webhook.js';
export { withBackOff, type DispatchSlots, type RateLimit } from './limits.js';
export { aroundCalls, aroundRegistry, type Around } from './wrap.js';
export { watchProviderHealth, type ProviderHealth, type ProviderHealthState } from './health.js';
