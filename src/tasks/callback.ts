import type { CallbackEvent } from '../providers/index.js';
import { advanceTask, type AdvanceOutcome } from './advance.js';
import { recordLateResult, type LateResultOutcome } from './lateResult.js';
import { adoptProviderTask } from './sql/adoptProviderTask.js';
import type { TaskDeps, TaskRow } from './types.js';

export type CallbackOutcome = AdvanceOutcome | LateResultOutcome | 'stale';

/**
 * Applies a provider callback to its task. `trusted` says the callback's signature was verified: only then is its
 * status believed as sent; otherwise the task asks the provider itself, so a forged body can change nothing.
 */
export async function applyCallback(deps: TaskDeps, task: TaskRow, event: CallbackEvent, trusted: boolean): Promise<CallbackOutcome> {
  if (task.status === 'failed') return lateResult(deps, task, event, trusted);
  if (task.status === 'pending' && task.provider_task_id === null && task.attempts === 0) {
    const adopted = await adoptProviderTask(deps.db, task.id, event.providerTaskId, deps.pollMinMs);
    if (adopted) deps.logger.warn({ taskId: task.id, providerTaskId: event.providerTaskId }, 'adopted an orphaned provider task from its callback');
  } else if (task.provider_task_id !== event.providerTaskId) {
    return 'stale';
  }
  return advanceTask(deps, task.id, 'webhook', trusted ? { status: event.status } : undefined);
}

async function lateResult(deps: TaskDeps, task: TaskRow, event: CallbackEvent, trusted: boolean): Promise<CallbackOutcome> {
  if (task.error_code !== 'timeout' || task.late_result || event.providerTaskId !== task.provider_task_id) return 'terminal';
  const status = trusted ? event.status : await deps.providers.get(task.provider).status(event.providerTaskId);
  if (status.state !== 'success') return 'terminal';
  return recordLateResult(deps, task.id, status.resultUrls);
}
