import { isUniqueViolation } from '../db/index.js';
import type { CallbackEvent } from '../providers/index.js';
import { advanceTask, askProvider, type AdvanceOutcome, type ProviderAnswer } from './advance.js';
import { recordLateResult, type LateResultOutcome } from './lateResult.js';
import { adoptProviderTask } from './sql/adoptProviderTask.js';
import type { TaskDeps, TaskRow } from './types.js';

export type CallbackOutcome = AdvanceOutcome | LateResultOutcome | 'stale' | 'not_adopted';

/**
 * Applies a provider callback to its task. A callback is a trigger, not a truth: its body is believed only when
 * `bodyVerified` says the signature covers it (Replicate signs the body; a KIE signature covers only the task id and
 * a timestamp), and otherwise the task asks the provider itself, so a forged or replayed body can change nothing.
 * A callback may attach a provider task id to a pending task only when the provider's own record names this task.
 */
export async function applyCallback(deps: TaskDeps, task: TaskRow, event: CallbackEvent, bodyVerified: boolean): Promise<CallbackOutcome> {
  const told: ProviderAnswer | undefined = bodyVerified ? { status: event.status } : undefined;
  if (task.status === 'failed') return lateResult(deps, task, event, told);
  if (task.status === 'pending' && task.provider_task_id === null) return adopt(deps, task, event);
  if (task.provider_task_id !== event.providerTaskId) return 'stale';
  return advanceTask(deps, task.id, 'webhook', told);
}

async function adopt(deps: TaskDeps, task: TaskRow, event: CallbackEvent): Promise<CallbackOutcome> {
  const answer = await askProvider(deps, { ...task, provider_task_id: event.providerTaskId });
  if ('error' in answer || answer.status.settleTaskId !== task.id) {
    deps.logger.warn({ taskId: task.id, providerTaskId: event.providerTaskId }, 'a callback named a provider task its provider does not confirm for this task; not adopted');
    return 'not_adopted';
  }
  try {
    if (!(await adoptProviderTask(deps.db, task.id, event.providerTaskId, deps.pollMinMs))) return advanceTask(deps, task.id, 'webhook');
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return 'not_adopted';
  }
  deps.logger.warn({ taskId: task.id, providerTaskId: event.providerTaskId }, 'adopted a provider task whose createTask answer was lost');
  return advanceTask(deps, task.id, 'webhook', answer);
}

async function lateResult(deps: TaskDeps, task: TaskRow, event: CallbackEvent, told: ProviderAnswer | undefined): Promise<CallbackOutcome> {
  if (task.error_code !== 'timeout' || task.late_result || event.providerTaskId !== task.provider_task_id) return 'terminal';
  const answer = told ?? (await askProvider(deps, task));
  if ('error' in answer || answer.status.state !== 'success') return 'terminal';
  return recordLateResult(deps, task.id, answer.status.resultUrls);
}
