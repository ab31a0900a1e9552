import type { TaskStatus, TaskView } from '../../tasks/index.js';

export const WEBHOOK_EVENT_TYPES = ['task.completed', 'task.failed', 'task.canceled', 'task.refunded'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The task as GET /api/v1/tasks/:taskId shows it, with its owner: Settle's user id and the app's own id for them. */
export type WebhookTask = TaskView & { userId: string; externalUserId: string | null };

/** The body of every delivery; `id` is also the webhook-id header, the same on every retry. */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: WebhookTask;
}

/** The event a settlement sends, by the status it settled the task in. */
export const SETTLED_EVENTS: Partial<Record<TaskStatus, WebhookEventType>> = {
  completed: 'task.completed',
  failed: 'task.failed',
  canceled: 'task.canceled',
};
