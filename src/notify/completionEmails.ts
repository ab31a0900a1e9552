import type { SettlementHook, SettlementPath } from '../tasks/index.js';
import { enqueueNotification } from './outbox/enqueueNotification.js';

export type EmailOn = 'recovered' | 'all' | 'none';

/** Paths on which the user was not watching: the task finished without their request in flight. */
const RECOVERY_PATHS: ReadonlySet<SettlementPath> = new Set(['worker', 'reconciler', 'cleanup', 'admin']);

/** The settlement hook that queues "Your AI video is ready!" for a completed task, per EMAIL_ON. */
export function completionEmails(emailOn: EmailOn, maxAttempts: number): SettlementHook {
  return async (tx, task, path) => {
    if (task.status !== 'completed' || emailOn === 'none') return;
    if (emailOn === 'recovered' && !RECOVERY_PATHS.has(path)) return;
    await enqueueNotification(tx, {
      channel: 'email',
      kind: 'task_ready',
      payload: { taskId: task.id, path },
      dedupeKey: `task_ready:${task.id}`,
      maxAttempts,
    });
  };
}
