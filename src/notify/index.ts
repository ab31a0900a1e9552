export { completionEmails, type EmailOn } from './completionEmails.js';
export { deliverDueNotifications, startDelivery, retryDelay, type DeliveryDeps, type DeliveryLoop, type DeliveryReport } from './delivery.js';
export { enqueueNotification, type NewNotification } from './outbox/enqueueNotification.js';
export { listNotifications, outboxCounts, resendNotification } from './outbox/listNotifications.js';
export { renderReadyEmail, type ReadyEmailInput, type RenderedEmail } from './readyEmail.js';
export { createEmailSender, createWebhookSender, type Sender, type Senders } from './senders.js';
export type { Channel, OutboxEntry, OutboxStatus } from './types.js';
