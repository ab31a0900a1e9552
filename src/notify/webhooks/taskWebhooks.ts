import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/index.js';
import type { AssetStore } from '../../storage/index.js';
import { taskView, type SettlementHook, type TaskRow } from '../../tasks/index.js';
import { externalIdsOf } from '../../users/index.js';
import { enqueueNotifications, type NewNotification } from '../outbox/enqueueNotification.js';
import { SETTLED_EVENTS, type WebhookEvent, type WebhookEventType } from './events.js';
import { listWebhookEndpoints, type WebhookEndpoint } from './sql/listWebhookEndpoints.js';

export interface TaskWebhookOptions {
  store: AssetStore;
  /** WEBHOOK_RETRY_HOURS: how long a failing delivery is retried before it is dead. */
  retryWindowMs: number;
}

/** What a webhook entry of the outbox carries; the body is fixed at enqueue, so every retry sends the same bytes. */
export type WebhookPayload = {
  endpointId: string;
  eventId: string;
  type: WebhookEventType;
  taskId: string;
  body: string;
};

export interface TaskWebhooks {
  /** The settlement hook: task.completed, task.failed or task.canceled for each settled task. */
  onSettled: SettlementHook;
  /** task.refunded for each task whose charge was refunded; call it inside the refund's transaction. */
  onRefunded(tx: Queryable, tasks: readonly TaskRow[]): Promise<void>;
}

interface TaskEvent {
  type: WebhookEventType;
  task: TaskRow;
}

/**
 * Queues one outbox entry per event and subscribed endpoint in the caller's transaction, so an event is sent if and
 * only if what caused it commits. The dedupe key names the event and the endpoint: a settlement retried after a
 * crash cannot queue it twice.
 */
export function taskWebhooks(options: TaskWebhookOptions): TaskWebhooks {
  const enqueue = (tx: Queryable, events: TaskEvent[]) => enqueueTaskEvents(tx, events, options);
  return {
    onSettled: (tx, settled) =>
      enqueue(tx, settled.flatMap(({ task }) => {
        const type = SETTLED_EVENTS[task.status];
        return type ? [{ type, task }] : [];
      })),
    onRefunded: (tx, tasks) => enqueue(tx, tasks.map((task) => ({ type: 'task.refunded' as const, task }))),
  };
}

async function enqueueTaskEvents(tx: Queryable, events: TaskEvent[], options: TaskWebhookOptions): Promise<void> {
  if (events.length === 0) return;
  const endpoints = await listWebhookEndpoints(tx);
  const subscribed = events.map((event) => ({ event, endpoints: endpoints.filter((e) => e.events.includes(event.type)) }));
  const wanted = subscribed.filter((s) => s.endpoints.length > 0);
  if (wanted.length === 0) return;
  const externalIds = await externalIdsOf(tx, wanted.map((s) => s.event.task.user_id));
  const entries = await Promise.all(wanted.map(async (s) => {
    const event = await eventOf(s.event, externalIds.get(s.event.task.user_id) ?? null, options.store);
    const body = JSON.stringify(event);
    return s.endpoints.map((endpoint) => outboxEntry(event, body, endpoint, options.retryWindowMs));
  }));
  await enqueueNotifications(tx, entries.flat());
}

async function eventOf({ type, task }: TaskEvent, externalUserId: string | null, store: AssetStore): Promise<WebhookEvent> {
  const { userId, ...view } = await taskView(task, store);
  return { id: `evt_${randomUUID()}`, type, createdAt: new Date().toISOString(), data: { ...view, userId, externalUserId } };
}

function outboxEntry(event: WebhookEvent, body: string, endpoint: WebhookEndpoint, retryWindowMs: number): NewNotification {
  const payload: WebhookPayload = { endpointId: endpoint.id, eventId: event.id, type: event.type, taskId: event.data.taskId, body };
  return {
    channel: 'webhook',
    kind: event.type,
    payload,
    dedupeKey: `webhook:${event.type}:${event.data.taskId}:${endpoint.id}`,
    retryWindowMs,
  };
}
