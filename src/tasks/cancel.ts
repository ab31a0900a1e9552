import { cancelLiveTask } from './settle.js';
import { findTask } from './sql/findTask.js';
import type { SettlementPath, TaskDeps, TaskRow } from './types.js';

export type CancelResult = { canceled: true; task: TaskRow } | { canceled: false; task: TaskRow | null };

/**
 * Cancels a pending or processing task and refunds it. A terminal task is left as it is and returned: a completion
 * that committed first wins (the caller answers 409 already_completed), and one still downloading loses (its fenced
 * write misses, and it deletes the file it stored). Where the provider can stop the task (Replicate), it is told to,
 * so the operator stops paying for it; that call is best effort and never undoes the cancel.
 */
export async function cancelTask(deps: TaskDeps, taskId: string, path: SettlementPath): Promise<CancelResult> {
  const canceled = await cancelLiveTask(deps, taskId, path);
  if (!canceled) return { canceled: false, task: await findTask(deps.db, taskId) };
  stopAtProvider(deps, canceled);
  return { canceled: true, task: canceled };
}

function stopAtProvider(deps: TaskDeps, task: TaskRow): void {
  const provider = deps.providers.get(task.provider);
  if (!provider.cancel || !task.provider_task_id) return;
  provider.cancel(task.provider_task_id).then(
    () => deps.logger.info({ taskId: task.id, providerTaskId: task.provider_task_id }, 'canceled at the provider'),
    (err: unknown) => deps.logger.warn({ err, taskId: task.id }, 'the provider did not take the cancel; the task stays canceled and refunded here'),
  );
}
