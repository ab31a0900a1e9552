export * from './types.js';
export * from './catalog.js';
export { createKieProvider, type KieProviderOptions } from './kie/adapter.js';
export { signKieCallback, verifyKieCallback, type KieSignatureCheck } from './kie/signature.js';
export { createProviderRegistry, type ProviderRegistry } from './registry.js';
export { streamDownload, type DownloadOptions } from './download.js';
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
export { ProviderGate, withRateLimits, type RateLimit } from './limits.js';
