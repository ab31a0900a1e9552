import type { ProviderStatus } from '../providers/index.js';
import type { TaskRow } from './types.js';

/**
 * What should happen to a processing task, given what its provider says. A pure function, so the reconciler's dry
 * run reports exactly what a real run would do.
 */
export type CheckDecision =
  | { action: 'complete'; resultUrls: string[]; completedAt: Date }
  | { action: 'retry'; code: string; message: string }
  | { action: 'fail'; code: string; message: string }
  | { action: 'wait'; progress?: number };

export function decideCheck(task: TaskRow, status: ProviderStatus, now = new Date()): CheckDecision {
  switch (status.state) {
    case 'success':
      return { action: 'complete', resultUrls: status.resultUrls, completedAt: status.completedAt ?? now };
    case 'fail':
      return status.transient ? retryOrFail(task, 'provider_failed', status.message) : { action: 'fail', code: 'provider_failed', message: status.message };
    case 'aborted':
      return { action: 'fail', code: 'provider_aborted', message: status.message };
    case 'running':
      if (task.deadline_at && now.getTime() > task.deadline_at.getTime()) {
        return retryOrFail(task, 'timeout', `No result within ${Math.round(task.timeout_ms / 1000)} s`);
      }
      return { action: 'wait', progress: status.progress };
  }
}

/** Resubmission happens only while attempts remain; the last failure settles the task. */
function retryOrFail(task: TaskRow, code: string, message: string): CheckDecision {
  return task.attempts < task.max_attempts ? { action: 'retry', code, message } : { action: 'fail', code, message };
}

/** A pending task that no provider accepted within the model's timeout is failed instead of dispatched again. */
export function neverAcceptedInTime(task: TaskRow, now = new Date()): boolean {
  return task.status === 'pending' && task.attempts === 0 && now.getTime() - task.created_at.getTime() > task.timeout_ms;
}
