import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import { deliverDueNotifications } from '../../src/notify/index.js';
import { advanceTask } from '../../src/tasks/index.js';
import type { Harness } from '../helpers/harness.js';
import { waitFor, type Check } from '../helpers/net.js';
import type { ReceivedRequest, Receiver } from '../helpers/receiver.js';

export const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a lighthouse in a storm' } };

/** The simulator hangs every task until the test finishes it, and sends no callbacks: only the test settles. */
export const HANGING_SIM = { hangRate: 1, lostCallbackRate: 1 };

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  secret: string;
}

export async function addEndpoint(h: Harness, adminKey: string, url: string, events?: string[]): Promise<Endpoint> {
  const res = await h.api(adminKey, 'POST', '/api/admin/webhook-endpoints', { url, ...(events && { events }) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export async function submit(h: Harness, apiKey: string): Promise<string> {
  const res = await h.api(apiKey, 'POST', '/api/v1/tasks', VIDEO);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.taskId;
}

async function providerTaskId(h: Harness, taskId: string): Promise<string> {
  const { rows } = await h.system.db.query<{ provider_task_id: string }>('SELECT provider_task_id FROM tasks WHERE id = $1', [taskId]);
  return rows[0]!.provider_task_id;
}

/** Submits a task and settles it the way asked: the provider finishes it (success or failure) and the worker path settles it, or its owner cancels it. */
export async function settledTask(h: Harness, apiKey: string, how: 'completed' | 'failed' | 'canceled'): Promise<string> {
  const taskId = await submit(h, apiKey);
  if (how === 'canceled') {
    const res = await h.api(apiKey, 'POST', `/api/v1/tasks/${taskId}/cancel`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return taskId;
  }
  h.sim.finish(await providerTaskId(h, taskId), how === 'completed' ? 'success' : 'fail');
  expect(await advanceTask(h.system.tasks, taskId, 'worker')).toBe(how);
  return taskId;
}

/** Runs delivery passes until the check holds. */
export function deliverUntil<T>(h: Harness, what: string, check: () => Check<T> | Promise<Check<T>>, timeoutMs = 15_000): Promise<T> {
  return waitFor(what, async () => {
    await deliverDueNotifications(h.system.delivery);
    return check();
  }, timeoutMs);
}

export const eventOf = (d: ReceivedRequest) => JSON.parse(d.raw) as { id: string; type: string; createdAt: string; data: Record<string, unknown> & { taskId: string } };

export const forTask = (deliveries: ReceivedRequest[], taskId: string) => deliveries.filter((d) => eventOf(d).data.taskId === taskId);

/** The official standardwebhooks package's verdict on a delivery: the parsed event, or it throws. */
export function officialVerify(secret: string, d: ReceivedRequest): unknown {
  return new Webhook(secret).verify(d.raw, d.headers as Record<string, string>);
}

export function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(' ') : value ?? '';
}

/** The outbox entries queued for a task's webhook events. */
export async function webhookEntries(h: Harness, taskId: string) {
  const { rows } = await h.system.db.query<{ id: string; status: string; attempts: number; last_error: string | null; payload: { endpointId: string; eventId: string } }>(
    `SELECT id, status, attempts, last_error, payload FROM notification_outbox WHERE channel = 'webhook' AND payload->>'taskId' = $1 ORDER BY created_at`,
    [taskId],
  );
  return rows;
}

/** Settles a task while the endpoint answers 503 to everything, and runs delivery until its entry is dead. */
export async function deadEvent(h: Harness, receiver: Receiver): Promise<{ taskId: string; entryId: string; queuedAt: number }> {
  receiver.answerNext(Infinity, 503);
  const user = await h.user(100);
  const queuedAt = Date.now();
  const taskId = await settledTask(h, user.apiKey, 'completed');
  const entry = await deliverUntil(h, 'the entry to die', async () => {
    const [first] = await webhookEntries(h, taskId);
    return first?.status === 'dead' ? first : undefined;
  }, 20_000);
  return { taskId, entryId: entry.id, queuedAt };
}
