export { SettleClient, StreamUnavailableError, type EventsOptions, type SettleClientOptions, type SubmitOptions, type WaitOptions } from './client.js';
export {
  ConflictError,
  ForbiddenError,
  InsufficientCreditsError,
  InvalidRequestError,
  NotFoundError,
  ProviderRejectedError,
  RateLimitedError,
  ServiceUnavailableError,
  SettleApiError,
  TaskFailedError,
  UnauthorizedError,
  WaitTimeoutError,
} from './errors.js';
export { createParser, readServerSentEvents, type ServerSentEvent } from './sse.js';
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookEvent, type WebhookEventType, type WebhookHeaders, type WebhookTask } from './webhooks.js';
export { priceFor } from './prices.js';
export { SettleAdmin, type SettleAdminOptions } from './admin.js';
export type {
  ApiKeyInfo,
  ApiKeyPage,
  CreatedKey,
  CreditMove,
  NewUser,
  PageQuery,
  Refund,
  RevokedKey,
  User,
  UserDetail,
  UserPage,
  UserQuery,
  UserWithCredits,
  WebhookEndpoint,
  WebhookEndpointPage,
} from './adminTypes.js';
export type { Canceled, Credits, Model, PriceRule, SubmitRequest, Submitted, Task, TaskEvent, TaskStatus, TaskType } from './types.js';