import type { SettledTask, SettlementHook, SettlementPath } from '../tasks/index.js';
import { enqueueNotifications } from './outbox/enqueueNotification.js';

export type EmailOn = 'recovered' | 'all' | 'none';

/** Paths on which the user was not watching: the task finished without their request in flight. */
const RECOVERY_PATHS: ReadonlySet<SettlementPath> = new Set(['worker', 'reconciler', 'cleanup', 'admin']);

/** The settlement hook that queues "Your AI video is ready!" for each completed task, per EMAIL_ON. */
export function completionEmails(emailOn: EmailOn, maxAttempts: number): SettlementHook {
  const wanted = ({ task, path }: SettledTask) =>
    task.status === 'completed' && emailOn !== 'none' && (emailOn === 'all' || RECOVERY_PATHS.has(path));
  return async (tx, settled) => {
    const ready = settled.filter(wanted).map(({ task, path }) => ({
      channel: 'email' as const,
      kind: 'task_ready',
      payload: { taskId: task.id, path },
      dedupeKey: `task_ready:${task.id}`,
      maxAttempts,
    }));
    await enqueueNotifications(tx, ready);
  };
}
